// test_interrupt.cpp: Ctrl-C (SIGINT) during Model::train, from C++.
//
// What it is: checks that the caller's SIGINT handler is back after a
// training (finished or interrupted), that a SIGINT under the guard stops the
// training with hashednet::Interrupted and is not handed on a second time,
// that the interrupted network holds, bit for bit, the parameters of a run
// with MaxEpochs = the epochs it completed, and that an ignored SIGINT stays
// ignored. What it is not: the latency test (tests/test_interrupt.py measures
// it in a child process), nor a test off the main thread.
//
// A plain program: the summary line is "N passed, M failed"; non-zero exit on failure.
#include "hashednet/interrupt.h"
#include "hashednet/model.h"
#include "hashednet/options.h"
#include "hashednet/python_api.h"
#include "check.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace hashednet;
using test_check::check;

namespace {

std::atomic<int> g_caller_handler_calls{0};


void caller_handler(int)
{
   g_caller_handler_calls.fetch_add(1);
}

void set_handler(void (*handler)(int))
{
   struct sigaction action {};
   action.sa_handler = handler;
   sigemptyset(&action.sa_mask);
   sigaction(SIGINT, &action, nullptr);
}

bool handler_is(void (*handler)(int))
{
   struct sigaction current {};
   sigaction(SIGINT, nullptr, &current);
   return !(current.sa_flags & SA_SIGINFO) && current.sa_handler == handler;
}

const std::string kNetwork = "Layout=TANH|128,TANH|128,LINEAR:Compression=1/8:NumThreads=1:RandomSeed=7";
constexpr std::int64_t kInputs = 8, kEvents = 4000;

struct Data {
   std::vector<float> x, y;
   Data() : x(kEvents * kInputs), y(kEvents)
   {
      std::mt19937 rng(11);
      std::normal_distribution<float> normal;
      for (float &v : x)
         v = normal(rng);
      for (std::int64_t i = 0; i < kEvents; ++i)
         y[i] = float(x[i * kInputs] + x[i * kInputs + 1] > 0);
   }
};

Model make()
{
   return python_api::make_model(parse_method_options(kNetwork), kInputs, "Classification", 1);
}

TrainingConfig phase(int max_epochs)
{
   TrainingConfig config = parse_method_options(kNetwork + ":TrainingStrategy=BatchSize=32,ConvergenceSteps=100000,"
                                                           "MaxEpochs=" + std::to_string(max_epochs))
                              .training.at(0);
   config.verbosity = 0;
   return config;
}

void train(Model &model, const Data &d, int max_epochs)
{
   const std::int64_t n_fit = kEvents * 3 / 4, n_valid = kEvents - n_fit;
   model.train(d.x.data(), d.y.data(), nullptr, n_fit, d.x.data() + n_fit * kInputs, d.y.data() + n_fit, nullptr,
               n_valid, kInputs, 1, phase(max_epochs), false);
}

void test_handler_back_after_training(const Data &d)
{
   set_handler(caller_handler);
   g_caller_handler_calls = 0;
   Model model = make();
   train(model, d, 1);
   check(handler_is(caller_handler), "the caller's SIGINT handler is back after a finished training", __LINE__);
   raise(SIGINT);
   check(g_caller_handler_calls == 1, "a SIGINT after training reaches the caller's handler", __LINE__);
}

void test_interrupted_training(const Data &d)
{
   set_handler(caller_handler);
   g_caller_handler_calls = 0;
   Model model = make();
   std::thread killer([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      kill(getpid(), SIGINT);
   });
   int epoch = -1;
   try {
      train(model, d, 100000);
   } catch (const Interrupted &stop) {
      epoch = stop.number();
      std::cout << "interrupted: " << stop.what() << "\n";
      check(std::string(stop.what()).find("training interrupted (SIGINT) after epoch ") == 0,
            std::string("the message says what stopped: ") + stop.what(), __LINE__);
   }
   killer.join();
   check(epoch >= 1, "the SIGINT stopped the training with Interrupted", __LINE__);
   check(handler_is(caller_handler), "the caller's SIGINT handler is back after an interrupted training", __LINE__);
   check(g_caller_handler_calls == 0, "the SIGINT that stopped the training is not handed on", __LINE__);
   if (epoch < 1)
      return;
   Model reference = make();
   if (epoch > 1)
      train(reference, d, epoch - 1);
   check(model.network().host_params() == reference.network().host_params(),
         "the interrupted network equals a run of MaxEpochs = " + std::to_string(epoch - 1) + " bit for bit",
         __LINE__);
}

void test_ignored_sigint_stays_ignored(const Data &d)
{
   set_handler(SIG_IGN);
   Model model = make();
   train(model, d, 1);
   check(handler_is(SIG_IGN), "an ignored SIGINT is still ignored after training", __LINE__);
}

} // namespace

int main()
{
   const Data data;
   test_check::run("handler back after training", [&data] { test_handler_back_after_training(data); });
   test_check::run("interrupted training", [&data] { test_interrupted_training(data); });
   test_check::run("ignored SIGINT stays ignored", [&data] { test_ignored_sigint_stays_ignored(data); });
   return test_check::report();
}
