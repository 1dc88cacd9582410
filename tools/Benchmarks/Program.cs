using System.Globalization;
using VaceFunctions.Benchmarks;

// Benchmarks print figures; they are not tests. Usage (scripts/bench.sh starts Azurite and passes its storage):
//   latency STORAGE_CONNECTION_STRING [MODEL_S=30] [POLL_S=5] [RUNS=3] [QUEUE_POLL_MS=1000]
//   throughput STORAGE_CONNECTION_STRING [JOBS=1000] [QUEUE_POLL_MS=1000]
//   cost STORAGE_CONNECTION_STRING [MODEL_S=30] [POLL_S=5] [JOBS=5] [QUEUE_POLL_MS=1000] (Azurite's request log in BENCH_AZURITE_LOG)
//   durable STORAGE_CONNECTION_STRING [INSTANCES=200] [STEPS=6] [TIMERS=1]
//   jobs STORAGE_CONNECTION_STRING [JOBS=200] [SLOTS=100]
//   copy STORAGE_CONNECTION_STRING [MEGABYTES=300]
//   slots STORAGE_CONNECTION_STRING [JOBS=200] [SLOTS=100] [HOLD_MS=2000] [RETRY_MS=5000]
//   backlog STORAGE_CONNECTION_STRING [JOBS=8] [MODEL_S=30] (Azurite's request log in BENCH_AZURITE_LOG, optional)
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
return args switch
{
    ["latency", var storage, ..] => await LatencyBenchmark.RunAsync(storage, Arg(2, 30), Arg(3, 5), Arg(4, 3), Arg(5, 1000)),
    ["throughput", var storage, ..] => await ThroughputBenchmark.RunAsync(storage, Arg(2, 1000), Arg(3, 1000)),
    ["cost", var storage, ..] => await CostBenchmark.RunAsync(storage, Arg(2, 30), Arg(3, 5), Arg(4, 5), Arg(5, 1000)),
    ["durable", var storage, ..] => await DurableBenchmark.RunAsync(storage, Arg(2, 200), Arg(3, 6), Arg(4, 1)),
    ["jobs", var storage, ..] => await JobsBenchmark.RunAsync(storage, Arg(2, 200), Arg(3, 100)),
    ["copy", var storage, ..] => await CopyBenchmark.RunAsync(storage, Arg(2, 300)),
    ["backlog", var storage, ..] => await BacklogBenchmark.RunAsync(storage, Arg(2, 8), Arg(3, 30)),
    ["slots", var storage, ..] => await SlotsBenchmark.RunAsync(storage, Arg(2, 200), Arg(3, 100), TimeSpan.FromMilliseconds(Arg(4, 2000)), TimeSpan.FromMilliseconds(Arg(5, 5000))),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: VaceFunctions.Benchmarks latency|copy|throughput|cost|durable|jobs|slots|backlog STORAGE_CONNECTION_STRING [ARGS]");
    return 2;
}
