%% The Erlang/OTP peer of bastion-cpp's `remote` benchmark: two nodes on loopback over Erlang distribution. This node
%% starts the other with the `peer` module, spawns a ponger and a sink there, and measures from here:
%%
%%   erl -noshell -name client@127.0.0.1 -setcookie bastion -pa DIR \
%%       -run bastion_peer_remote main RUNS N MESSAGES -s init stop
%%
%% Each run prints `RESULT workload=remote_ping_pong impl=erlang value=NS unit=ns` and
%% `RESULT workload=remote_tell impl=erlang value=MSGS unit=per_s`; a wrong echo or count halts with status 1.
-module(bastion_peer_remote).
-export([main/1, pong/0, sink/2]).
-import(bastion_peer, [result/3, fail/2, now_ns/0]).

main([Runs, N, Messages]) ->
    {ok, Peer, Server} = peer:start_link(#{name => server, host => "127.0.0.1", longnames => true,
                                           args => ["-setcookie", "bastion", "-pa", code:lib_dir(kernel) ++ "/ebin",
                                                    "-pa", filename:dirname(code:which(?MODULE))]}),
    Pong = spawn(Server, ?MODULE, pong, []),
    Sink = spawn(Server, ?MODULE, sink, [0, none]),
    NPings = list_to_integer(N), NMessages = list_to_integer(Messages),
    ping(Pong, 0, max(NPings div 10, 10)),
    flood(Sink, max(NMessages div 10, 10)),
    [run(Pong, Sink, NPings, NMessages) || _ <- lists:seq(1, list_to_integer(Runs))],
    peer:stop(Peer),
    ok.

run(Pong, Sink, N, Messages) ->
    T0 = now_ns(),
    ping(Pong, 0, N),
    result("remote_ping_pong", (now_ns() - T0) / N, "ns"),
    T1 = now_ns(),
    flood(Sink, Messages),
    result("remote_tell", Messages / ((now_ns() - T1) / 1.0e9), "per_s").

ping(_, N, N) -> ok;
ping(Pong, I, N) ->
    Pong ! {self(), I},
    receive
        I -> ping(Pong, I + 1, N);
        Other -> fail("wrong echo ~p", [Other])
    after 10000 -> fail("no echo", [])
    end.

pong() ->
    receive
        {From, I} -> From ! I, pong();
        stop -> ok
    end.

%% Counts numbers; answers {count, From, Wanted} once it has counted Wanted.
flood(Sink, Messages) ->
    send_numbers(Sink, 0, Messages),
    Sink ! {count, self(), Messages},
    receive
        {counted, Messages} -> ok;
        {counted, Other} -> fail("counted ~p of ~p", [Other, Messages])
    after 60000 -> fail("no count", [])
    end.

send_numbers(_, N, N) -> ok;
send_numbers(Sink, I, N) -> Sink ! I, send_numbers(Sink, I + 1, N).

sink(Count, {From, Wanted}) when Count >= Wanted -> From ! {counted, Count}, sink(0, none);
sink(Count, Waiting) ->
    receive
        {count, From, Wanted} -> sink(Count, {From, Wanted});
        I when is_integer(I) -> sink(Count + 1, Waiting)
    end.
