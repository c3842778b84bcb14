//! The Tokio 1.24 peer of bastion-cpp's benchmark suite: tasks, mpsc and oneshot channels, a multi-thread runtime
//! (`--threads 2`, the default) or a current-thread one (`--threads 1`, the one-worker placement). One workload per
//! invocation:
//!
//!     tokio-peer WORKLOAD [--runs R] [--threads T] [--n N] ...
//!
//! Every measured run prints one line `RESULT workload=NAME impl=tokio value=V unit=U`; a wrong result (a sum, a
//! count, an echo) ends the program with status 1.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

struct Opts {
    workload: String,
    values: HashMap<String, u64>,
}

impl Opts {
    fn get(&self, name: &str, fallback: u64) -> u64 {
        *self.values.get(name).unwrap_or(&fallback)
    }
}

fn fail(workload: &str, why: &str) -> ! {
    eprintln!("tokio peer {}: {}", workload, why);
    std::process::exit(1);
}

fn result(workload: &str, value: f64, unit: &str) {
    println!("RESULT workload={} impl=tokio value={:.6e} unit={}", workload, value, unit);
}

// ---- yield: P tasks each calling yield_now Y times.
async fn yield_run(o: &Opts) -> f64 {
    let (p, y) = (o.get("procs", 200), o.get("yields", 1000));
    let start = Instant::now();
    let tasks: Vec<_> = (0..p)
        .map(|_| {
            tokio::spawn(async move {
                let mut done = 0u64;
                for _ in 0..y {
                    tokio::task::yield_now().await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let ns = start.elapsed().as_nanos() as f64;
    if total != p * y {
        fail(&o.workload, "yields lost");
    }
    ns / total as f64
}

// ---- spawn: batches of tasks each returning its number, joined through their JoinHandles and summed.
async fn spawn_batch(batch: u64, handles: &mut Vec<tokio::task::JoinHandle<u64>>) -> u64 {
    handles.clear();
    for i in 0..batch {
        handles.push(tokio::spawn(async move { i }));
    }
    let mut sum = 0;
    for h in handles.drain(..) {
        sum += h.await.unwrap();
    }
    sum
}

async fn spawn_run(o: &Opts) -> f64 {
    let (batch, batches) = (o.get("batch", 1000), o.get("batches", 300));
    let expected = batch * (batch - 1) / 2;
    let mut handles = Vec::with_capacity(batch as usize);
    for _ in 0..20 {
        if spawn_batch(batch, &mut handles).await != expected {
            fail(&o.workload, "wrong sum");
        }
    }
    let start = Instant::now();
    for _ in 0..batches {
        if spawn_batch(batch, &mut handles).await != expected {
            fail(&o.workload, "wrong sum");
        }
    }
    (batch * batches) as f64 / start.elapsed().as_secs_f64()
}

// ---- skynet: a 10-ary tree of tasks, each joining its children's handles.
fn skynet(num: u64, size: u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = u64> + Send>> {
    Box::pin(async move {
        if size == 1 {
            return num;
        }
        let sub = size / 10;
        let children: Vec<_> = (0..10).map(|i| tokio::spawn(skynet(num + i * sub, sub))).collect();
        let mut sum = 0;
        for c in children {
            sum += c.await.unwrap();
        }
        sum
    })
}

async fn skynet_run(o: &Opts) -> f64 {
    let n = o.get("n", 1_000_000);
    let start = Instant::now();
    let sum = tokio::spawn(skynet(0, n)).await.unwrap();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    if sum != n * (n - 1) / 2 {
        fail(&o.workload, "wrong sum");
    }
    ms
}

// ---- ping_pong: two tasks bouncing a number through two mpsc channels of capacity 1.
async fn ping_pong_run(o: &Opts) -> f64 {
    let n = o.get("n", 1_000_000);
    let (there_tx, mut there_rx) = mpsc::channel::<u64>(1);
    let (back_tx, mut back_rx) = mpsc::channel::<u64>(1);
    tokio::spawn(async move {
        while let Some(v) = there_rx.recv().await {
            if back_tx.send(v).await.is_err() {
                break;
            }
        }
    });
    let pinger = tokio::spawn(async move {
        let mut start = Instant::now();
        for i in 0..n / 10 + n {
            if i == n / 10 {
                start = Instant::now();
            }
            there_tx.send(i).await.unwrap();
            if back_rx.recv().await != Some(i) {
                return None;
            }
        }
        Some(start.elapsed().as_nanos() as f64 / n as f64)
    });
    pinger.await.unwrap().unwrap_or_else(|| fail(&o.workload, "wrong echo"))
}

// ---- ping_pong_burst: throughput; the pinger sends a window of numbers, then receives their echoes (channels of
// a window each, so neither side waits mid-burst).
async fn ping_pong_burst_run(o: &Opts) -> f64 {
    let (n, w) = (o.get("n", 1_000_000), o.get("window", 100));
    let (there_tx, mut there_rx) = mpsc::channel::<u64>(w as usize);
    let (back_tx, mut back_rx) = mpsc::channel::<u64>(w as usize);
    tokio::spawn(async move {
        while let Some(v) = there_rx.recv().await {
            if back_tx.send(v).await.is_err() {
                break;
            }
        }
    });
    let pinger = tokio::spawn(async move {
        let mut start = Instant::now();
        for (from, to) in [(0, n / 10), (0, n)] {
            if to == n {
                start = Instant::now();
            }
            let mut i = from;
            while i < to {
                let end = std::cmp::min(to, i + w);
                for j in i..end {
                    there_tx.send(j).await.unwrap();
                }
                for j in i..end {
                    if back_rx.recv().await != Some(j) {
                        return None;
                    }
                }
                i = end;
            }
        }
        Some(n as f64 / start.elapsed().as_secs_f64())
    });
    pinger.await.unwrap().unwrap_or_else(|| fail(&o.workload, "wrong echo"))
}

// ---- ask: a request carrying a oneshot for the reply, awaited under tokio::time::timeout (1 s).
async fn ask_run(o: &Opts) -> f64 {
    let n = o.get("n", 1_000_000);
    let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1);
    tokio::spawn(async move {
        while let Some((v, reply)) = rx.recv().await {
            let _ = reply.send(v);
        }
    });
    let asker = tokio::spawn(async move {
        let mut start = Instant::now();
        for i in 0..n / 10 + n {
            if i == n / 10 {
                start = Instant::now();
            }
            let (reply_tx, reply_rx) = oneshot::channel();
            tx.send((i, reply_tx)).await.unwrap();
            match tokio::time::timeout(Duration::from_secs(1), reply_rx).await {
                Ok(Ok(v)) if v == i => {}
                _ => return None,
            }
        }
        Some(start.elapsed().as_nanos() as f64 / n as f64)
    });
    asker.await.unwrap().unwrap_or_else(|| fail(&o.workload, "wrong or late answer"))
}

// ---- n_to_one: S sender tasks each send M numbers into one mpsc channel (capacity 1024); one task sums.
async fn n_to_one_run(o: &Opts) -> f64 {
    let (s, m) = (o.get("senders", 2), o.get("messages", 1_000_000));
    let (tx, mut rx) = mpsc::channel::<u64>(1024);
    let start = Instant::now();
    for _ in 0..s {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0..m {
                tx.send(i).await.unwrap();
            }
        });
    }
    drop(tx);
    let counter = tokio::spawn(async move {
        let mut sum = 0u64;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        sum
    });
    let sum = counter.await.unwrap();
    let seconds = start.elapsed().as_secs_f64();
    if sum != s * (m * (m - 1) / 2) {
        fail(&o.workload, "wrong sum");
    }
    (s * m) as f64 / seconds
}

// ---- big (Savina): A tasks, each sends M pings, one at a time, to random others and waits for each pong.
enum Big {
    Ping(usize),
    Pong,
    Stop,
}

async fn big_run(o: &Opts) -> f64 {
    let (a, m) = (o.get("actors", 100) as usize, o.get("messages", 1_000_000));
    // At most one ping from each other actor plus one pong wait in an inbox: capacity A + 1 never blocks a sender.
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..a).map(|_| mpsc::channel::<Big>(a + 1)).unzip();
    let txs = Arc::new(txs);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
    let answered = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (me, mut rx) in rxs.into_iter().enumerate() {
        let (txs, done_tx, answered) = (txs.clone(), done_tx.clone(), answered.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = (me as u64 + 1).wrapping_mul(0x9E3779B97F4A7C15);
            let mut target = || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let t = (rng % (a as u64 - 1)) as usize;
                if t >= me { t + 1 } else { t }
            };
            let mut sent = 1;
            txs[target()].send(Big::Ping(me)).await.ok();
            let mut mine = 0u64;
            while let Some(msg) = rx.recv().await {
                match msg {
                    Big::Ping(from) => {
                        mine += 1;
                        txs[from].send(Big::Pong).await.ok();
                    }
                    Big::Pong if sent < m => {
                        sent += 1;
                        txs[target()].send(Big::Ping(me)).await.ok();
                    }
                    Big::Pong => done_tx.send(()).unwrap(),
                    Big::Stop => break,
                }
            }
            answered.fetch_add(mine, Ordering::Relaxed);
        }));
    }
    for _ in 0..a {
        done_rx.recv().await;
    }
    let seconds = start.elapsed().as_secs_f64();
    for tx in txs.iter() {
        tx.send(Big::Stop).await.ok();
    }
    for t in tasks {
        t.await.unwrap();
    }
    if answered.load(Ordering::Relaxed) != a as u64 * m {
        fail(&o.workload, "pings lost");
    }
    (2 * a as u64 * m) as f64 / seconds
}

// ---- thread_ring (Savina): R tasks in a ring pass a token H times; STOP, sent around once, ends them.
const STOP: u64 = u64::MAX;

async fn thread_ring_run(o: &Opts) -> f64 {
    let (r, h) = (o.get("actors", 100) as usize, o.get("hops", 1_000_000));
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..r).map(|_| mpsc::channel::<u64>(1)).unzip();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<usize>();
    let forwarded = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for (me, mut rx) in rxs.into_iter().enumerate() {
        let next = txs[(me + 1) % r].clone();
        let (done_tx, forwarded) = (done_tx.clone(), forwarded.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = 0;
            while let Some(t) = rx.recv().await {
                if t == STOP {
                    let _ = next.send(STOP).await; // the first node has already stopped when it comes back
                    break;
                }
                if t == 0 {
                    done_tx.send(me).unwrap();
                    continue;
                }
                mine += 1;
                next.send(t - 1).await.unwrap();
            }
            forwarded.fetch_add(mine, Ordering::Relaxed);
        }));
    }
    let start = Instant::now();
    txs[0].send(h).await.unwrap();
    let last = done_rx.recv().await.unwrap();
    let ns = start.elapsed().as_nanos() as f64;
    txs[0].send(STOP).await.unwrap();
    drop(txs);
    for t in tasks {
        t.await.unwrap();
    }
    if forwarded.load(Ordering::Relaxed) != h || last != (h % r as u64) as usize {
        fail(&o.workload, "token lost");
    }
    ns / h as f64
}

// ---- idle: N tasks each awaiting a oneshot; RSS added per task, then process CPU while idle.
fn rss_bytes() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() * 1024.0
}

fn cpu_seconds() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) as f64 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) as f64 / 1e6
}

async fn idle_run(o: &Opts) {
    let (n, idle_ms) = (o.get("n", 100_000), o.get("idle-ms", 2000));
    let mut wakers = Vec::with_capacity(n as usize);
    let mut tasks = Vec::with_capacity(n as usize);
    let before = rss_bytes();
    for i in 0..n {
        let (tx, rx) = oneshot::channel::<u64>();
        wakers.push(tx);
        tasks.push(tokio::spawn(async move { rx.await.unwrap() == i }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let per_task = (rss_bytes() - before) / n as f64;
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    tokio::time::sleep(Duration::from_millis(idle_ms)).await;
    let pct = 100.0 * (cpu_seconds() - cpu0) / t0.elapsed().as_secs_f64();
    for (i, tx) in wakers.into_iter().enumerate() {
        tx.send(i as u64).unwrap();
    }
    for t in tasks {
        if !t.await.unwrap() {
            fail(&o.workload, "wrong wake-up");
        }
    }
    result("idle_memory", per_task, "B");
    result("idle_cpu", pct, "%");
}

// ---- echo_server: a task per connection copying what it reads back; runs until killed.
async fn echo_server(o: &Opts) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", o.get("port", 0) as u16)).await.unwrap();
    println!("LISTENING {}", listener.local_addr().unwrap());
    loop {
        let (mut sock, _) = listener.accept().await.unwrap();
        sock.set_nodelay(true).ok();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16384];
            loop {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(k) => {
                        if sock.write_all(&buf[..k]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: tokio-peer WORKLOAD [--name value]...");
        std::process::exit(2);
    }
    let mut values = HashMap::new();
    for pair in args[2..].chunks(2) {
        if pair.len() != 2 || !pair[0].starts_with("--") {
            eprintln!("tokio peer: expected --name value");
            std::process::exit(2);
        }
        values.insert(pair[0][2..].to_string(), pair[1].parse::<u64>().expect("an integer value"));
    }
    let o = Opts { workload: args[1].clone(), values };
    let (runs, threads) = (o.get("runs", 5), o.get("threads", 2));
    println!("tokio peer: {}, tokio 1.24, {} worker threads, runs={}", o.workload, threads, runs);
    for _ in 0..runs {
        let rt = if threads == 1 {
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
        } else {
            tokio::runtime::Builder::new_multi_thread().worker_threads(threads as usize).enable_all().build().unwrap()
        };
        rt.block_on(async {
            let (value, unit) = match o.workload.as_str() {
                "yield" => (yield_run(&o).await, "ns"),
                "spawn" => (spawn_run(&o).await, "per_s"),
                "skynet" => (skynet_run(&o).await, "ms"),
                "ping_pong" => (ping_pong_run(&o).await, "ns"),
                "ping_pong_burst" => (ping_pong_burst_run(&o).await, "per_s"),
                "ask" => (ask_run(&o).await, "ns"),
                "n_to_one" => (n_to_one_run(&o).await, "per_s"),
                "big" => (big_run(&o).await, "per_s"),
                "thread_ring" => (thread_ring_run(&o).await, "ns"),
                "idle" => return idle_run(&o).await,
                "echo_server" => return echo_server(&o).await,
                w => {
                    eprintln!("tokio peer: unknown workload {}", w);
                    std::process::exit(2);
                }
            };
            result(&o.workload, value, unit);
        });
    }
}
