// Port of bastion/examples/distributor.rs, line for line: a conference organised through three distributors.
// Waits of a tenth of a second where upstream waits five. The tracing lines of the actors go to stderr (as fibonacci's
// logs do); main's go to stdout, whose text is checked. RSVPs are random, as upstream's.
///! Create a conference.
///!
///! 1st Group
///! Staff (5) - Going to organize the event // OK
///!
///! 2nd Group
///! Enthusiasts (50) - interested in participating to the conference (haven't registered yet) // OK
///!
///! 3rd Group
///! Attendees (empty for now) - Participate
///!
///! Enthusiast -> Ask one of the staff members "when is the conference going to happen ?" // OK
///! Broadcast / Question => Answer 0 or 1 Staff members are going to reply eventually? // OK
///!
///! Staff -> Send a Leaflet to all of the enthusiasts, letting them know that they can register. // OK
///!
///! "hey conference <awesomeconference> is going to happen. will you be there?"
///! Broadcast / Question -> if people reply with YES => fill the 3rd group
///! some enthusiasts are now attendees
///!
///! Staff -> send the actual schedule and misc infos to Attendees
///! Broadcast / Statement (Attendees)
///!
///! An attendee sends a thank you note to one staff member (and not bother everyone)
///! One message / Statement (Staff) // OK
#include <bastion/prelude.hpp>
#include <bastion/dsl.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

using namespace bastion;
using namespace std::chrono_literals;

// tracing::info! / tracing::error!: main's lines on stdout, the actors' on stderr.
static void info(const std::string& line) { std::cout << "INFO distributor: " << line << std::endl; }
static void error(const std::string& line) { std::cout << "ERROR distributor: " << line << std::endl; }
static void actor_info(const std::string& line) { std::clog << "INFO distributor: " + line + "\n"; }
static void actor_error(const std::string& line) { std::clog << "ERROR distributor: " + line + "\n"; }

template <class T>
static std::string debug(const T& value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

// true if the person attends the conference
struct RSVP {
    bool attends;
    ChildRef child_ref;
};

struct ConferenceSchedule {
    std::chrono::seconds start;
    std::chrono::seconds end;
    std::string misc;
};

static std::ostream& operator<<(std::ostream& out, const ConferenceSchedule& s) {
    return out << "ConferenceSchedule { start: " << s.start.count() << "s, end: " << s.end.count() << "s, misc: \""
               << s.misc << "\" }";
}

static Exec organize_the_event(BastionContext ctx);
static Exec be_interested_in_the_conference(BastionContext ctx);

// std::thread::sleep
static void sleep(std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); }

static int run() {
    // (tracing_subscriber: the helpers above print.)

    // Initialize bastion
    Bastion::init();

    // 1st Group
    Bastion::supervisor([](Supervisor supervisor) {
        return supervisor.children([](Children children) {
            // Iniit staff
            // Staff (5 members) - Going to organize the event
            return children
                .with_redundancy(5)
                .with_distributor(Distributor::named("staff"))
                .with_exec(organize_the_event);
        });
    })
    .expect("couldn't setup the bastion");
    // 2nd Group
    Bastion::supervisor([](Supervisor supervisor) {
        return supervisor.children([](Children children) {
            // Enthusiasts (50) - interested in participating to the conference (haven't registered yet)
            return children
                .with_redundancy(50)
                .with_distributor(Distributor::named("enthusiasts"))
                .with_exec(be_interested_in_the_conference);
        });
    })
    .expect("couldn't setup the bastion");

    Bastion::start();

    // Wait a bit until everyone is ready
    // (not needed here: members join their distributors when their group is built)
    sleep(100ms);

    auto staff = Distributor::named("staff");
    auto enthusiasts = Distributor::named("enthusiasts");
    auto attendees = Distributor::named("attendees");

    // Enthusiast -> Ask one of the staff members "when is the conference going to happen ?"
    Result<std::string, SendError> reply = RUN() {
        return staff
            .request<std::string>("when is the next conference going to happen?")
            .get();
    };

    error(reply.is_ok() ? "Ok(\"" + reply.unwrap() + "\")" : "Err(" + debug(reply.unwrap_err()) + ")");  // Ok("Next month!")

    // "hey conference <awesomeconference> is going to happen. will you be there?"
    // Broadcast / Question -> if people reply with YES => fill the 3rd group
    auto answers = enthusiasts
                       .ask_everyone("hey, the conference is going to happen, will you be there?")
                       .expect("couldn't ask everyone");

    for (Answer& answer : answers) {
        RUN() {
            MessageHandler{answer.get()}
                .on_tell([&](RSVP rsvp, RefAddr) {
                    if (rsvp.attends) {
                        info(debug(rsvp.child_ref.id()) + " will be there! :)");
                        attendees
                            .subscribe(rsvp.child_ref)
                            .expect("couldn't subscribe attendee");
                    } else {
                        error(debug(rsvp.child_ref.id()) + " won't make it :(");
                    }
                })
                .on_fallback([](Msg& unknown, RefAddr) {
                    error(std::string{"distributor_test: uh oh, I received a message I didn't understand\n "} +
                          unknown.type().name());
                });
        };
    }

    // Ok now that attendees have subscribed, let's send information around!
    info("Let's send invitations!");
    // Staff -> send the actual schedule and misc infos to Attendees
    auto total_sent = attendees
                          .tell_everyone(ConferenceSchedule{
                              std::chrono::seconds{60},
                              std::chrono::seconds{3600},
                              "it's going to be amazing!",
                          })
                          .expect("couldn't let everyone know the conference is available!");

    error("total number of attendees: " + std::to_string(total_sent));

    info("the conference is running!");

    // Let's wait until the conference is over 8D
    sleep(100ms);

    // An attendee sends a thank you note to one staff member (and not bother everyone)
    staff
        .tell_one("the conference was amazing thank you so much!")
        .expect("couldn't thank the staff members :(");

    // And we're done!
    Bastion::stop();

    // BEWARE, this example doesn't return
    Bastion::block_until_stopped();

    return 0;
}

int main() { return run(); }

static Exec organize_the_event(BastionContext ctx) {
    for (;;) {
        MessageHandler{ctx.recv()}
            .on_question([](const char* message, AnswerSender sender) {
                actor_info(std::string{"received a question: \n"} + message);
                std::move(sender).reply(std::string{"Next month!"}).unwrap();
            })
            .on_tell([](const char* message, RefAddr) {
                actor_info(std::string{"received a message: \n"} + message);
            })
            .on_fallback([](Msg& unknown, RefAddr) {
                actor_error(std::string{"staff: uh oh, I received a message I didn't understand\n "} +
                            unknown.type().name());
            });
    }
}

static Exec be_interested_in_the_conference(BastionContext ctx) {
    for (;;) {
        MessageHandler{ctx.recv()}
            .on_tell([&](std::shared_ptr<const char*> message, RefAddr) {
                actor_info("child " + debug(ctx.current().id()) + ", received a broadcast message:\n" + *message);
            })
            .on_tell([&](ConferenceSchedule schedule, RefAddr) {
                actor_info("child " + debug(ctx.current().id()) + ", received broadcast conference schedule!:\n" +
                           debug(schedule));
            })
            .on_question([&](const char* message, AnswerSender sender) {
                actor_info(std::string{"received a question: \n"} + message);
                // ILL BE THERE!
                thread_local std::mt19937 random{std::random_device{}()};
                std::move(sender)
                    .reply(RSVP{
                        std::bernoulli_distribution{0.5}(random),
                        ctx.current(),
                    })
                    .unwrap();
            })
            .on_fallback([](Msg&, RefAddr) {});
    }
}
