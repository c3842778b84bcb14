// The Go peer of bastion-cpp's benchmark suite: goroutines and channels, one workload per invocation.
//
//	peer -workload NAME [-runs R] [-procs P] ... (see -help)
//
// Every measured run prints one line
//
//	RESULT workload=NAME impl=go value=V unit=U
//
// and a wrong result (a sum, a count, an echo) ends the program with status 1. GOMAXPROCS is Go's default (every
// CPU) unless -maxprocs is given; the runner passes -maxprocs 1 for the one-worker placements.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	workload = flag.String("workload", "", "yield|spawn|skynet|ping_pong|ping_pong_burst|n_to_one|big|thread_ring|ask|churn|idle|echo_server")
	runs     = flag.Int("runs", 5, "measured runs")
	maxprocs = flag.Int("maxprocs", 0, "GOMAXPROCS (0: Go's default)")
	procs    = flag.Int("procs", 200, "yield: goroutines")
	yields   = flag.Int("yields", 1000, "yield: yields per goroutine")
	batch    = flag.Int("batch", 1000, "spawn: goroutines per batch")
	batches  = flag.Int("batches", 300, "spawn: timed batches")
	leaves   = flag.Int("n", 1000000, "skynet: leaves; ping_pong/ask: round trips; idle: goroutines")
	senders  = flag.Int("senders", 2, "n_to_one: senders")
	messages = flag.Int("messages", 1000000, "n_to_one: messages per sender; big: pings per actor")
	actors   = flag.Int("actors", 100, "big: actors; thread_ring: ring size; churn: goroutines per round")
	rounds   = flag.Int("rounds", 10, "churn: rounds")
	hops     = flag.Int("hops", 1000000, "thread_ring: hops of the token")
	window   = flag.Int("window", 100, "ping_pong_burst: numbers in flight")
	idleMs   = flag.Int("idle-ms", 2000, "idle: idle window")
	port     = flag.Int("port", 0, "echo_server: TCP port on 127.0.0.1")
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "go peer %s: %s\n", *workload, fmt.Sprintf(format, a...))
	os.Exit(1)
}

func result(value float64, unit string) {
	fmt.Printf("RESULT workload=%s impl=go value=%.6g unit=%s\n", *workload, value, unit)
}

// ---- yield: P goroutines each calling runtime.Gosched Y times.
func yieldRun() float64 {
	var wg sync.WaitGroup
	counts := make([]int, *procs)
	start := time.Now()
	for p := 0; p < *procs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < *yields; i++ {
				runtime.Gosched()
				counts[p]++
			}
		}(p)
	}
	wg.Wait()
	elapsed := time.Since(start)
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != *procs**yields {
		fail("yields lost: %d", total)
	}
	return float64(elapsed.Nanoseconds()) / float64(total)
}

// ---- spawn: batches of goroutines, each computing a value; the batch is joined (WaitGroup) and summed.
func spawnBatch(values []uint64) uint64 {
	var wg sync.WaitGroup
	wg.Add(len(values))
	for i := range values {
		go func(i int) {
			values[i] = uint64(i)
			wg.Done()
		}(i)
	}
	wg.Wait()
	var sum uint64
	for _, v := range values {
		sum += v
	}
	return sum
}

func spawnRun() float64 {
	values := make([]uint64, *batch)
	expected := uint64(*batch) * uint64(*batch-1) / 2
	for b := 0; b < 20; b++ { // warm-up, as ours
		if spawnBatch(values) != expected {
			fail("wrong sum")
		}
	}
	start := time.Now()
	for b := 0; b < *batches; b++ {
		if spawnBatch(values) != expected {
			fail("wrong sum")
		}
	}
	return float64(*batch**batches) / time.Since(start).Seconds()
}

// ---- skynet: a 10-ary tree of goroutines, each node summing what its children send on its channel.
func skynet(out chan<- uint64, num, size uint64) {
	if size == 1 {
		out <- num
		return
	}
	rc := make(chan uint64, 10)
	for i := uint64(0); i < 10; i++ {
		go skynet(rc, num+i*(size/10), size/10)
	}
	var sum uint64
	for i := 0; i < 10; i++ {
		sum += <-rc
	}
	out <- sum
}

func skynetRun() float64 {
	n := uint64(*leaves)
	out := make(chan uint64)
	start := time.Now()
	go skynet(out, 0, n)
	sum := <-out
	elapsed := time.Since(start)
	if sum != n*(n-1)/2 {
		fail("wrong sum %d", sum)
	}
	return float64(elapsed.Nanoseconds()) / 1e6
}

// ---- ping_pong: two goroutines bouncing a number through two unbuffered channels.
func pingPongRun() float64 {
	n := *leaves
	there, back := make(chan int), make(chan int)
	go func() {
		for v := range there {
			back <- v
		}
	}()
	for i := 0; i < n/10; i++ { // warm-up
		there <- i
		<-back
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		there <- i
		if <-back != i {
			fail("wrong echo")
		}
	}
	elapsed := time.Since(start)
	close(there)
	return float64(elapsed.Nanoseconds()) / float64(n)
}

// ---- ping_pong_burst: throughput; the pinger sends a window of numbers, then receives their echoes. The channels
// hold a window each, so neither side blocks the other mid-burst.
func pingPongBurstRun() float64 {
	n, w := *leaves, *window
	there, back := make(chan int, w), make(chan int, w)
	go func() {
		for v := range there {
			back <- v
		}
	}()
	trips := func(from, to int) {
		for i := from; i < to; i += w {
			end := i + w
			if end > to {
				end = to
			}
			for j := i; j < end; j++ {
				there <- j
			}
			for j := i; j < end; j++ {
				if <-back != j {
					fail("wrong echo")
				}
			}
		}
	}
	trips(0, n/10)
	start := time.Now()
	trips(0, n)
	elapsed := time.Since(start)
	close(there)
	return float64(n) / elapsed.Seconds()
}

// ---- ask: a request carrying its own reply channel; the asker waits for the reply or a timer (1 s).
type request struct {
	value int
	reply chan int
}

func askRun() float64 {
	n := *leaves
	server := make(chan request)
	go func() {
		for r := range server {
			r.reply <- r.value
		}
	}()
	ask := func(v int) int {
		reply := make(chan int, 1)
		server <- request{v, reply}
		timer := time.NewTimer(time.Second)
		defer timer.Stop()
		select {
		case r := <-reply:
			return r
		case <-timer.C:
			fail("ask timed out")
		}
		return -1
	}
	for i := 0; i < n/10; i++ {
		ask(i)
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if ask(i) != i {
			fail("wrong answer")
		}
	}
	elapsed := time.Since(start)
	close(server)
	return float64(elapsed.Nanoseconds()) / float64(n)
}

// ---- n_to_one: S senders send M numbers each into one buffered channel; one counter sums them.
func nToOneRun() float64 {
	s, m := *senders, *messages
	ch := make(chan uint64, 1024)
	start := time.Now()
	for k := 0; k < s; k++ {
		go func() {
			for i := 0; i < m; i++ {
				ch <- uint64(i)
			}
		}()
	}
	var sum uint64
	for i := 0; i < s*m; i++ {
		sum += <-ch
	}
	elapsed := time.Since(start)
	if sum != uint64(s)*(uint64(m)*uint64(m-1)/2) {
		fail("wrong sum %d", sum)
	}
	return float64(s*m) / elapsed.Seconds()
}

// ---- big (Savina): A actors; each sends M pings, one at a time, to random others and waits for each pong.
type bigMsg struct {
	kind int // 0 ping, 1 pong, 2 stop
	from int
}

func bigRun() float64 {
	a, m := *actors, *messages
	// At most one ping from each other actor plus one pong can be waiting in an inbox: A + 1 never blocks a sender.
	inbox := make([]chan bigMsg, a)
	for i := range inbox {
		inbox[i] = make(chan bigMsg, a+1)
	}
	var done, stopped sync.WaitGroup
	answered := make([]int, a)
	start := time.Now()
	for i := 0; i < a; i++ {
		done.Add(1)
		stopped.Add(1)
		go func(me int) {
			defer stopped.Done()
			rng := rand.New(rand.NewSource(int64(me)))
			target := func() int {
				t := rng.Intn(a - 1)
				if t >= me {
					t++
				}
				return t
			}
			sent := 1
			inbox[target()] <- bigMsg{0, me}
			for msg := range inbox[me] {
				switch msg.kind {
				case 0:
					answered[me]++
					inbox[msg.from] <- bigMsg{1, me}
				case 1:
					if sent < m {
						sent++
						inbox[target()] <- bigMsg{0, me}
					} else if sent == m {
						sent++
						done.Done()
					}
				case 2:
					return
				}
			}
		}(i)
	}
	done.Wait()
	elapsed := time.Since(start)
	for i := 0; i < a; i++ {
		inbox[i] <- bigMsg{2, -1}
	}
	stopped.Wait()
	total := 0
	for _, n := range answered {
		total += n
	}
	if total != a*m {
		fail("pings answered %d, expected %d", total, a*m)
	}
	return float64(2*a*m) / elapsed.Seconds()
}

// ---- thread_ring (Savina): R goroutines in a ring pass a token H times; each forwards it, counting down.
func threadRingRun() float64 {
	r, h := *actors, *hops
	links := make([]chan int, r)
	for i := range links {
		links[i] = make(chan int, 1)
	}
	finished := make(chan int)
	forwarded := make([]int, r)
	for i := 0; i < r; i++ {
		go func(me int) {
			next := links[(me+1)%r]
			for t := range links[me] {
				if t == 0 {
					finished <- me
					continue
				}
				forwarded[me]++
				next <- t - 1
			}
		}(i)
	}
	start := time.Now()
	links[0] <- h
	last := <-finished
	elapsed := time.Since(start)
	for i := range links {
		close(links[i])
	}
	total := 0
	for _, n := range forwarded {
		total += n
	}
	if total != h || last != h%r {
		fail("token forwarded %d times, ended at %d", total, last)
	}
	return float64(elapsed.Nanoseconds()) / float64(h)
}

// ---- idle: N goroutines blocked in a channel receive; RSS added per goroutine, then process CPU while idle.
func rssBytes() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(s.Text())[1], 64)
			return kb * 1024
		}
	}
	fail("no VmRSS")
	return 0
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func idleRun() {
	n := *leaves
	before := rssBytes()
	var parked, woke sync.WaitGroup
	wake := make(chan struct{})
	var got int64
	var mu sync.Mutex
	parked.Add(n)
	woke.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			parked.Done()
			<-wake
			mu.Lock()
			got++
			mu.Unlock()
			woke.Done()
		}()
	}
	parked.Wait()
	time.Sleep(50 * time.Millisecond)
	perActor := (rssBytes() - before) / float64(n)
	cpu0, t0 := cpuSeconds(), time.Now()
	time.Sleep(time.Duration(*idleMs) * time.Millisecond)
	pct := 100 * (cpuSeconds() - cpu0) / time.Since(t0).Seconds()
	close(wake)
	woke.Wait()
	if got != int64(n) {
		fail("woke %d of %d", got, n)
	}
	fmt.Printf("RESULT workload=idle_memory impl=go value=%.6g unit=B\n", perActor)
	fmt.Printf("RESULT workload=idle_cpu impl=go value=%.6g unit=%%\n", pct)
}

// ---- churn: rounds of N goroutines, each waiting on its inbox (a channel of one, a mailbox) and its quit channel (its
// ref's stop). Even ones are sent a number and return; odd ones, once all have started, have their quit channel
// closed. Go has no way to end a goroutine from outside: a closed quit channel is the idiom, and the goroutine's
// select is where it sees it (ours: the actor's wait throws when its ref stops it). "Started" and "ended" are atomic
// counters the driver polls every 200 us, as ours; each round ends with 50 ms of sleep before reading RSS, inside the
// timed span, as ours.
func waitAtLeast(counter *atomic.Int64, target int64) {
	for counter.Load() < target {
		time.Sleep(200 * time.Microsecond)
	}
}

func churnRun() float64 {
	n, r := *actors, *rounds
	var started, ended, normal, stopped atomic.Int64
	rss := make([]float64, 0, r)
	start := time.Now()
	for round := 1; round <= r; round++ {
		quits := make([]chan struct{}, 0, n/2)
		for i := 0; i < n; i++ {
			inbox, quit := make(chan int, 1), make(chan struct{})
			go func() {
				started.Add(1)
				defer ended.Add(1)
				select {
				case <-inbox:
					normal.Add(1)
				case <-quit:
					stopped.Add(1)
				}
			}()
			if i%2 == 0 {
				inbox <- i // it returns once it reads this
			} else {
				quits = append(quits, quit)
			}
		}
		waitAtLeast(&started, int64(round*n))
		for _, q := range quits {
			close(q)
		}
		waitAtLeast(&ended, int64(round*n))
		if normal.Load() != int64(round*((n+1)/2)) || stopped.Load() != int64(round*(n/2)) {
			fail("round %d: %d returned, %d stopped", round, normal.Load(), stopped.Load())
		}
		time.Sleep(50 * time.Millisecond)
		rss = append(rss, rssBytes()/(1<<20))
	}
	rate := float64(n*r) / time.Since(start).Seconds()
	fmt.Print("RSS by round (MiB):")
	for _, v := range rss {
		fmt.Printf(" %.1f", v)
	}
	fmt.Printf("\nRSS after the last round against the first: %.1f %%\n", 100*(rss[len(rss)-1]/rss[0]-1))
	return rate
}

// ---- echo_server: a goroutine per connection copying what it reads back; runs until killed.
func echoServer() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(*port))
	if err != nil {
		fail("%v", err)
	}
	fmt.Println("LISTENING", ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			fail("%v", err)
		}
		go func(c net.Conn) {
			defer c.Close()
			buf := make([]byte, 16384)
			for {
				k, err := c.Read(buf)
				if k > 0 {
					if _, werr := c.Write(buf[:k]); werr != nil {
						return
					}
				}
				if err != nil { // io.EOF included: the client is done
					return
				}
			}
		}(c)
	}
}

func main() {
	flag.Parse()
	if *maxprocs > 0 {
		runtime.GOMAXPROCS(*maxprocs)
	}
	fmt.Printf("go peer: %s, %s, GOMAXPROCS=%d, runs=%d\n", *workload, runtime.Version(), runtime.GOMAXPROCS(0), *runs)
	var run func() float64
	unit := ""
	switch *workload {
	case "yield":
		run, unit = yieldRun, "ns"
	case "spawn":
		run, unit = spawnRun, "per_s"
	case "skynet":
		run, unit = skynetRun, "ms"
	case "ping_pong":
		run, unit = pingPongRun, "ns"
	case "ping_pong_burst":
		run, unit = pingPongBurstRun, "per_s"
	case "ask":
		run, unit = askRun, "ns"
	case "n_to_one":
		run, unit = nToOneRun, "per_s"
	case "big":
		run, unit = bigRun, "per_s"
	case "thread_ring":
		run, unit = threadRingRun, "ns"
	case "churn":
		run, unit = churnRun, "per_s"
	case "idle":
		for r := 0; r < *runs; r++ {
			idleRun()
		}
		return
	case "echo_server":
		echoServer()
		return
	default:
		fmt.Fprintf(os.Stderr, "go peer: unknown -workload %q\n", *workload)
		os.Exit(2)
	}
	for r := 0; r < *runs; r++ {
		result(run(), unit)
		runtime.GC()
	}
}
