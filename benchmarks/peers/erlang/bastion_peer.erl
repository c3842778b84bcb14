%% The Erlang/OTP peer of bastion-cpp's benchmark suite: processes, `!` and receive; a one-for-one supervisor for the
%% restart storm. One workload per invocation:
%%
%%   erl -noshell +S N:N +P 2000000 -pa DIR -run bastion_peer main WORKLOAD RUNS KEY=VALUE... -s init stop
%%
%% Every measured run prints one line `RESULT workload=NAME impl=erlang value=V unit=U`; a wrong result (a sum, a
%% count, an echo) halts the node with status 1.
-module(bastion_peer).
-behaviour(supervisor).
-export([main/1, init/1, crasher_start/2, crasher/3]).
%% Shared with bastion_peer_remote.
-export([result/3, fail/2, now_ns/0]).

main([Workload, Runs | Opts]) ->
    Params = maps:from_list([list_to_tuple(string:split(O, "=")) || O <- Opts]),
    P = fun(Key, Default) -> list_to_integer(maps:get(Key, Params, integer_to_list(Default))) end,
    io:format("erlang peer: ~s, OTP ~s, ~p schedulers online, runs=~s~n",
              [Workload, erlang:system_info(otp_release), erlang:system_info(schedulers_online), Runs]),
    %% The supervisor reports every crash and restart through logger; a benchmark measures restarts, not formatting.
    logger:set_primary_config(level, none),
    [run(Workload, P) || _ <- lists:seq(1, list_to_integer(Runs))],
    ok.

result(Workload, Value, Unit) ->
    io:format("RESULT workload=~s impl=erlang value=~.6g unit=~s~n", [Workload, float(Value), Unit]).

fail(Fmt, Args) ->
    io:format(standard_error, "erlang peer: " ++ Fmt ++ "~n", Args),
    erlang:halt(1).

now_ns() -> erlang:monotonic_time(nanosecond).

run("yield", P) ->
    Procs = P("procs", 200), Yields = P("yields", 1000),
    Self = self(),
    T0 = now_ns(),
    [spawn(fun() -> Self ! {yielded, yield_loop(Yields, 0)} end) || _ <- lists:seq(1, Procs)],
    Total = lists:sum([receive {yielded, N} -> N end || _ <- lists:seq(1, Procs)]),
    T = now_ns() - T0,
    Total =:= Procs * Yields orelse fail("yields lost: ~p", [Total]),
    result("yield", T / Total, "ns");

run("spawn", P) ->
    Batch = P("batch", 1000), Batches = P("batches", 300),
    Expected = Batch * (Batch - 1) div 2,
    [Expected = spawn_batch(Batch) || _ <- lists:seq(1, 20)],
    T0 = now_ns(),
    [(spawn_batch(Batch) =:= Expected) orelse fail("wrong sum", []) || _ <- lists:seq(1, Batches)],
    result("spawn", Batch * Batches / ((now_ns() - T0) / 1.0e9), "per_s");

run("skynet", P) ->
    N = P("n", 1000000),
    Self = self(),
    T0 = now_ns(),
    spawn(fun() -> skynet(Self, 0, N) end),
    Sum = receive {sum, S} -> S end,
    T = now_ns() - T0,
    Sum =:= N * (N - 1) div 2 orelse fail("wrong sum ~p", [Sum]),
    result("skynet", T / 1.0e6, "ms");

run("ping_pong", P) ->
    N = P("n", 1000000),
    Pong = spawn(fun pong/0),
    ping(Pong, 0, N div 10),
    T0 = now_ns(),
    ping(Pong, 0, N),
    T = now_ns() - T0,
    Pong ! stop,
    result("ping_pong", T / N, "ns");

%% Throughput: the pinger sends a window of numbers, then receives their echoes.
run("ping_pong_burst", P) ->
    N = P("n", 1000000), W = P("window", 100),
    Pong = spawn(fun pong/0),
    burst(Pong, 0, N div 10, W),
    T0 = now_ns(),
    burst(Pong, 0, N, W),
    T = now_ns() - T0,
    Pong ! stop,
    result("ping_pong_burst", N / (T / 1.0e9), "per_s");

%% An ask with a timeout is gen_server:call(Server, Request, Timeout).
run("ask", P) ->
    N = P("n", 1000000),
    {ok, Server} = gen_server:start(bastion_peer_echo, [], []),
    ask_loop(Server, 0, N div 10),
    T0 = now_ns(),
    ask_loop(Server, 0, N),
    T = now_ns() - T0,
    gen_server:stop(Server),
    result("ask", T / N, "ns");

run("n_to_one", P) ->
    Senders = P("senders", 2), M = P("messages", 1000000),
    Self = self(),
    T0 = now_ns(),
    [spawn(fun() -> send_numbers(Self, 0, M) end) || _ <- lists:seq(1, Senders)],
    Sum = count(Senders * M, 0),
    T = now_ns() - T0,
    Sum =:= Senders * (M * (M - 1) div 2) orelse fail("wrong sum ~p", [Sum]),
    result("n_to_one", Senders * M / (T / 1.0e9), "per_s");

run("big", P) ->
    A = P("actors", 100), M = P("messages", 1000000),
    Self = self(),
    T0 = now_ns(),
    Pids = list_to_tuple([spawn(fun() -> big_start(Self, I, M) end) || I <- lists:seq(1, A)]),
    [element(I, Pids) ! {peers, Pids} || I <- lists:seq(1, A)],
    [receive {big_done, _} -> ok end || _ <- lists:seq(1, A)],
    T = now_ns() - T0,
    [element(I, Pids) ! stop || I <- lists:seq(1, A)],
    Answered = lists:sum([receive {answered, K} -> K end || _ <- lists:seq(1, A)]),
    Answered =:= A * M orelse fail("pings answered ~p, expected ~p", [Answered, A * M]),
    result("big", 2 * A * M / (T / 1.0e9), "per_s");

run("thread_ring", P) ->
    R = P("actors", 100), H = P("hops", 1000000),
    Self = self(),
    First = spawn(fun() -> ring_first(Self, R) end),
    First ! {token, H},
    T0 = now_ns(),
    receive {ring_done, _} -> ok end,
    T = now_ns() - T0,
    First ! stop,
    Forwarded = lists:sum([receive {forwarded, K} -> K end || _ <- lists:seq(1, R)]),
    Forwarded =:= H orelse fail("token forwarded ~p times, expected ~p", [Forwarded, H]),
    result("thread_ring", T / H, "ns");

%% Restart storm: a one-for-one supervisor restarts a child that exits on every K-th message it gets.
run("restart", P) ->
    Restarts = P("restarts", 100000), K = P("every", 1),
    Self = self(),
    {ok, Sup} = supervisor:start_link(?MODULE, {Self, K}),
    unlink(Sup),
    First = receive {started, Pid0} -> Pid0 end,
    T0 = now_ns(),
    storm(First, K, Restarts),
    T = now_ns() - T0,
    exit(Sup, shutdown),
    result("restart", Restarts / (T / 1.0e9), "per_s");

%% Churn: rounds of N processes in one VM, each waiting in receive. Even ones are sent a message and exit normally;
%% odd ones, once all have started, get `exit(Pid, shutdown)`: an exit signal the runtime acts on (a process that does
%% not trap exits dies without running any of its code), as ours is stopped through its ChildRef (its wait throws,
%% the runtime ends it) and as a supervisor stops a child. A stop message would be one more message the process's own
%% receive matches: that is the other half. The driver learns of every end through a monitor ('DOWN'; ours: its
%% supervisor's event) and checks the reasons; "all started" is a shared counter each process bumps, polled every
%% 1 ms (ours: an atomic, every 200 us). Like ours, each round ends with 50 ms of sleep before reading the memory,
%% inside the timed span.
run("churn", P) ->
    N = P("actors", 100000), Rounds = P("rounds", 10),
    Started = counters:new(1, [write_concurrency]),
    T0 = now_ns(),
    Mem = [churn_round(N, R, Started) || R <- lists:seq(1, Rounds)],
    T = now_ns() - T0,
    io:format("RSS by round (MiB): ~s~nerlang:memory(total) by round (MiB): ~s~n",
              [string:join([io_lib:format("~.1f", [Rss / 1048576]) || {Rss, _} <- Mem], " "),
               string:join([io_lib:format("~.1f", [Total / 1048576]) || {_, Total} <- Mem], " ")]),
    {RssFirst, _} = hd(Mem), {RssLast, _} = lists:last(Mem),
    io:format("RSS after the last round against the first: ~.1f %~n", [100 * (RssLast / RssFirst - 1)]),
    result("churn", N * Rounds / (T / 1.0e9), "per_s");

run("idle", P) ->
    N = P("n", 100000), IdleMs = P("idle-ms", 2000),
    Self = self(),
    erlang:garbage_collect(),
    Before = rss_bytes(),
    Pids = [spawn(fun() -> receive wake -> Self ! woke end end) || _ <- lists:seq(1, N)],
    timer:sleep(50),
    PerActor = (rss_bytes() - Before) / N,
    {Cpu0, _} = statistics(runtime), W0 = now_ns(),
    timer:sleep(IdleMs),
    {Cpu1, _} = statistics(runtime),
    Pct = 100 * (Cpu1 - Cpu0) * 1.0e6 / (now_ns() - W0),
    [Pid ! wake || Pid <- Pids],
    [receive woke -> ok end || _ <- Pids],
    result("idle_memory", PerActor, "B"),
    result("idle_cpu", Pct, "%").

%% ---- helpers

yield_loop(0, Done) -> Done;
yield_loop(N, Done) -> erlang:yield(), yield_loop(N - 1, Done + 1).

spawn_batch(Batch) ->
    Self = self(),
    [spawn(fun() -> Self ! {value, I} end) || I <- lists:seq(0, Batch - 1)],
    lists:sum([receive {value, V} -> V end || _ <- lists:seq(1, Batch)]).

skynet(Parent, Num, 1) -> Parent ! {sum, Num};
skynet(Parent, Num, Size) ->
    Self = self(), Sub = Size div 10,
    [spawn(fun() -> skynet(Self, Num + I * Sub, Sub) end) || I <- lists:seq(0, 9)],
    Parent ! {sum, lists:sum([receive {sum, S} -> S end || _ <- lists:seq(1, 10)])}.

pong() -> receive {ping, From, N} -> From ! {pong, N}, pong(); stop -> ok end.

ping(_, N, N) -> ok;
ping(Pong, I, N) ->
    Pong ! {ping, self(), I},
    receive {pong, I} -> ping(Pong, I + 1, N); {pong, Other} -> fail("wrong echo ~p", [Other]) end.

burst(_, I, N, _) when I >= N -> ok;
burst(Pong, I, N, W) ->
    End = min(N, I + W),
    Self = self(),
    [Pong ! {ping, Self, J} || J <- lists:seq(I, End - 1)],
    [receive {pong, J} -> ok; {pong, Other} -> fail("wrong echo ~p", [Other]) end || J <- lists:seq(I, End - 1)],
    burst(Pong, End, N, W).

ask_loop(_, N, N) -> ok;
ask_loop(Server, I, N) ->
    case gen_server:call(Server, I, 1000) of
        I -> ask_loop(Server, I + 1, N);
        Other -> fail("wrong answer ~p", [Other])
    end.

send_numbers(_, M, M) -> ok;
send_numbers(To, I, M) -> To ! {n, I}, send_numbers(To, I + 1, M).

count(0, Sum) -> Sum;
count(Left, Sum) -> receive {n, V} -> count(Left - 1, Sum + V) end.

big_start(Main, Me, M) ->
    rand:seed(exsss, {Me, Me, Me}),
    receive {peers, Pids} -> ok end,
    big_ping(Pids, Me),
    big_loop(Main, Pids, Me, 1, M, 0).

big_ping(Pids, Me) ->
    A = tuple_size(Pids),
    T = rand:uniform(A - 1),
    To = if T >= Me -> T + 1; true -> T end,
    element(To, Pids) ! {ping, self()}.

big_loop(Main, Pids, Me, Sent, M, Answered) ->
    receive
        {ping, From} -> From ! pong, big_loop(Main, Pids, Me, Sent, M, Answered + 1);
        pong when Sent < M -> big_ping(Pids, Me), big_loop(Main, Pids, Me, Sent + 1, M, Answered);
        pong -> Main ! {big_done, Me}, big_loop(Main, Pids, Me, Sent + 1, M, Answered);
        stop -> Main ! {answered, Answered}
    end.

ring_first(Main, R) ->
    Next = lists:foldl(fun(_, Nx) -> spawn(fun() -> ring_node(Main, Nx, 0) end) end, self(), lists:seq(2, R)),
    ring_node(Main, Next, 0).

ring_node(Main, Next, Forwarded) ->
    receive
        {token, 0} -> Main ! {ring_done, self()}, ring_node(Main, Next, Forwarded);
        {token, T} -> Next ! {token, T - 1}, ring_node(Main, Next, Forwarded + 1);
        stop -> Next ! stop, Main ! {forwarded, Forwarded}
    end.

storm(_, _, 0) -> ok;
storm(Pid, K, Left) ->
    [Pid ! {work, I} || I <- lists:seq(1, K)],
    receive {started, New} when New =/= Pid -> storm(New, K, Left - 1) end.

churn_round(N, Round, Started) ->
    Stopped = churn_spawn(0, N, Started, []),
    churn_wait(Started, Round * N),  % a process killed before it ran never waits in receive: kill waiting ones
    [exit(Pid, shutdown) || Pid <- Stopped],
    {Normal, Shutdown} = churn_down(N, 0, 0),
    {Normal, Shutdown} =:= {(N + 1) div 2, N div 2}
        orelse fail("churn round ~p: ~p ended normally, ~p shut down", [Round, Normal, Shutdown]),
    timer:sleep(50),
    {rss_bytes(), erlang:memory(total)}.

churn_spawn(N, N, _, Stopped) -> Stopped;
churn_spawn(I, N, Started, Stopped) ->
    {Pid, _} = spawn_monitor(fun() -> counters:add(Started, 1, 1), receive {work, _} -> ok end end),
    case I rem 2 of
        0 -> Pid ! {work, I}, churn_spawn(I + 1, N, Started, Stopped);  % it exits normally once it reads this
        1 -> churn_spawn(I + 1, N, Started, [Pid | Stopped])
    end.

churn_wait(Started, Target) ->
    case counters:get(Started, 1) >= Target of
        true -> ok;
        false -> timer:sleep(1), churn_wait(Started, Target)
    end.

churn_down(0, Normal, Shutdown) -> {Normal, Shutdown};
churn_down(Left, Normal, Shutdown) ->
    receive
        {'DOWN', _, process, _, normal} -> churn_down(Left - 1, Normal + 1, Shutdown);
        {'DOWN', _, process, _, shutdown} -> churn_down(Left - 1, Normal, Shutdown + 1);
        {'DOWN', _, process, Pid, Other} -> fail("churn: ~p ended with ~p", [Pid, Other])
    end.

rss_bytes() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =/= nomatch],
    [_, Kb | _] = string:lexemes(binary_to_list(Line), " \t"),
    list_to_integer(Kb) * 1024.

%% ---- the restart storm's supervisor and child

init({Main, K}) ->
    Flags = #{strategy => one_for_one, intensity => 1000000000, period => 1},
    Child = #{id => crasher, start => {?MODULE, crasher_start, [Main, K]}, restart => permanent,
              shutdown => brutal_kill, type => worker},
    {ok, {Flags, [Child]}}.

crasher_start(Main, K) -> {ok, proc_lib:spawn_link(?MODULE, crasher, [Main, K, 0])}.

crasher(Main, K, 0) -> Main ! {started, self()}, crasher(Main, K, 1);
crasher(Main, K, Seen) ->
    receive {work, _} when Seen =:= K -> exit(crashed_on_purpose);
            {work, _} -> crasher(Main, K, Seen + 1)
    end.
