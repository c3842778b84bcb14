// Port of bastion/examples/callbacks.rs: the order in which the callbacks of supervisors and children groups run.
//
// The elements run concurrently, so the output is not one fixed text: the comments say what may move, and
// check_callbacks.py checks what may not. Unlike upstream, one-for-all stops the healthy elements before restarting
// them (a supervisor element is asked to restart itself: it stops its children, then starts them again); and the
// number of times the restart loop below goes round before the system's stop gets through depends on scheduling.
#include <bastion/prelude.hpp>

#include <iostream>
#include <stdexcept>
#include <tuple>

using namespace bastion;

Supervisor sp(Supervisor supervisor);
Children sp_ch(Children children);
Supervisor sp_sp(Supervisor supervisor, ChildrenRef children_ref);
Children sp_sp_ch(Children children, ChildrenRef children_ref);

int main() {
    // (Rust's `env_logger::init();`: nothing to set up, the runtime reports failures on stderr itself.)

    Bastion::init();

    Bastion::supervisor(sp).expect("Couldn't create the supervisor.");

    Bastion::start();
    Bastion::block_until_stopped();
}

Supervisor sp(Supervisor supervisor) {
    auto callbacks = Callbacks{}
                         .with_before_start([] {
                             // This will get called before others `before_start`s of this example
                             // because the others all are defined for elements supervised by
                             // this supervisor...
                             std::cout << "(sp      ) before_start\n";
                         })
                         .with_after_stop([] {
                             // This will get called after others `after_stop`s of this example
                             // because the others all are defined for elements supervised by
                             // this supervisor...
                             std::cout << "(sp      ) after_stop\n";
                         });

    ChildrenRef children_ref = supervisor.children_ref(sp_ch);

    return supervisor.supervisor([children_ref](Supervisor sp) { return sp_sp(sp, children_ref); })
        .with_strategy(SupervisionStrategy::OneForAll)
        .with_callbacks(callbacks);
}

Children sp_ch(Children children) {
    auto callbacks = Callbacks{}
                         .with_before_start([] {
                             // "sp" starts "sp.ch" first because it is its first supervised element
                             // in order, but "sp.ch" and "sp.sp" then run concurrently: this might get
                             // called before, after or in-between "sp.sp"'s and "sp.sp.ch"'s
                             // `before_start`s...
                             std::cout << "(sp.ch   ) before_start\n";
                         })
                         .with_before_restart([] {
                             // This will get called after `err`, when "sp" restarts "sp.ch" (it runs
                             // at the start of the new run because "sp.ch" failed: its old run is
                             // over). "sp" asks "sp.sp" to restart just before, so this might get
                             // called before or after "sp.sp"'s `before_restart`...
                             std::cout << "(sp.ch   ) before_restart\n";
                         })
                         .with_after_restart([] {
                             // This will get called right after `before_restart` but might get
                             // called before, after or in-between "sp.sp"'s `before_restart` and
                             // `after_restart` and the lines of "sp.sp.ch"'s new run...
                             std::cout << "(sp.ch   ) after_restart\n";

                             // This might get called before, after or in-between "sp.sp"'s
                             // `before_restart` and `after_restart` and the lines of "sp.sp.ch"'s
                             // new run...
                             std::cout << "(sp.ch   ) stop\n";
                             // This will ask the whole system to stop. The request reaches "sp"
                             // a few lightproc switches later; until then the loop may go round
                             // again ("sp.sp.ch"'s new run tells "sp.ch", which fails again, and so
                             // on). Then everything stops, bottom up...
                             Bastion::stop();
                         })
                         .with_after_stop([] {
                             // This will get called after the last `recv` (or `err`, if the message
                             // came just before the stop) but might get called before, after or
                             // in-between "sp.sp"'s `after_stop` and "sp.sp.ch"'s `after_stop`; and
                             // not at all if "sp.ch" failed and the stop came before its restart...
                             std::cout << "(sp.ch   ) after_stop\n";
                         });

    return children
        .with_exec([](BastionContext ctx) -> Exec {
            // This will get called once per run:
            // - a first time after `before_start` but before, after or
            //   in-between "sp.sp"'s `before_start` and "sp.sp.ch"'s `before_start`,
            //   `stop`, `recv`, `after_stop` and `tell`...
            // - then after each `after_restart` and `stop` but before, after or
            //   in-between "sp.sp"'s `before_restart`, `after_restart` and
            //   `after_stop` and "sp.sp.ch"'s `before_start`, `stop`, `recv`,
            //   `after_stop` and `tell`...
            std::cout << "(sp.ch   ) recv\n";
            // This will wait for the message sent by "sp.sp.ch"'s `tell` (when
            // its `after_stop` gets called), or until the system's stop ends the
            // wait (`recv` then throws ProcCancelled, which the runtime expects)...
            (void)ctx.recv();

            // Once the message has been received, the exec will return an
            // error to make "sp" restart "sp.ch" and "sp.sp" (because its
            // supervision strategy is "one-for-all"): "sp" asks "sp.sp" to
            // restart itself, and starts "sp.ch" again...
            std::cout << "(sp.ch   ) err\n";
            return Err();
        })
        .with_callbacks(callbacks);
}

Supervisor sp_sp(Supervisor supervisor, ChildrenRef children_ref) {
    auto callbacks = Callbacks{}
                         .with_before_start([] {
                             // This will get called after "sp"'s `before_start` and before
                             // "sp.sp.ch"'s, but might get called before, after or in-between
                             // "sp.ch"'s `before_start` and `recv`...
                             std::cout << "(sp.sp   ) before_start\n";
                         })
                         .with_before_restart([] {
                             // This will get called after "sp.ch"'s `err`, when "sp" handles its
                             // failure, but before or after "sp.ch"'s `before_restart`...
                             std::cout << "(sp.sp   ) before_restart\n";
                         })
                         .with_after_restart([] {
                             // "sp.sp" restarts "sp.sp.ch" (which had stopped itself) and calls
                             // this at once, so it might get called before, after or in-between the
                             // lines of "sp.sp.ch"'s new run and "sp.ch"'s `recv`; and not at all
                             // if the system's stop reaches "sp.sp" in the middle of its restart...
                             std::cout << "(sp.sp   ) after_restart\n";
                         })
                         .with_after_stop([] {
                             // This will get called after "sp.sp.ch"'s last `after_stop` and `tell`
                             // (a supervisor stops after what it supervises) but might get called
                             // before or after "sp.ch"'s last lines...
                             std::cout << "(sp.sp   ) after_stop\n";
                         });

    return supervisor.children([children_ref](Children sp) { return sp_sp_ch(sp, children_ref); })
        .with_callbacks(callbacks);
}

Children sp_sp_ch(Children children, ChildrenRef children_ref) {
    auto callbacks = Callbacks{}
                         .with_before_start([] {
                             // This will get called once per run:
                             // - a first time after "sp.sp"'s `before_start` and before or after
                             //   "sp.ch"'s `recv`
                             // - then after each "sp.sp"'s `before_restart` (a restarting supervisor
                             //   starts its stopped children afresh, hence `before_start`) and before,
                             //   after or in-between "sp.ch"'s `after_restart` and `stop`; unless the
                             //   system's stop comes first, and then the run does not happen at all...
                             std::cout << "(sp.sp.ch) before_start\n";
                         })
                         // This won't get called because this children group only stops itself
                         // (thus, `after_stop` would have already been called)... (Rust's
                         // `unreachable!()`: were it called, the runtime would report the exception
                         // on stderr, and check_callbacks.py would fail.)
                         .with_before_restart([] { throw std::logic_error{"unreachable"}; })
                         // This won't get called because this children group only stops itself
                         // (thus, `before_start` will get called instead)...
                         .with_after_restart([] { throw std::logic_error{"unreachable"}; })
                         .with_after_stop([children_ref] {
                             // This will get called once per run, after `recv` but before or
                             // after "sp.ch"'s `recv`...
                             std::cout << "(sp.sp.ch) after_stop\n";

                             // This might get called before or after "sp.ch"'s `recv`...
                             std::cout << "(sp.sp.ch) tell\n";
                             // This will send a message (Rust's `()`) to "sp.ch", making it fault
                             // and making "sp" restart "sp.ch" and "sp.sp" (because its supervision
                             // strategy is "one-for-all"; upstream's comment says "one-for-one").
                             // If "sp.ch" has stopped for good, the message comes back, dropped...
                             (void)children_ref.elems()[0].tell_anonymously(std::tuple<>{});
                         });

    return children
        .with_exec([](BastionContext ctx) -> Exec {
            // This will get called once per run, after `before_start` and
            // before or after "sp.ch"'s `recv`...
            std::cout << "(sp.sp.ch) stop\n";
            // This asks "sp.sp" to stop this children group for good; the stop
            // takes effect once this exec waits...
            ctx.parent().stop().expect("Couldn't stop the children group.");

            // This might get called before or after "sp.ch"'s `recv`...
            std::cout << "(sp.sp.ch) recv\n";
            // This will make this exec wait, thus allowing the children
            // group to stop (`recv` throws ProcCancelled, which the runtime
            // expects)...
            (void)ctx.recv();

            // Note that this exec will never get there...
            return Ok();
        })
        .with_callbacks(callbacks);
}
