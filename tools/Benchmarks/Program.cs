using System.Globalization;
using VaceFunctions.Benchmarks;

// Benchmarks print figures; they are not tests. Usage (scripts/bench.sh starts Azurite and passes its storage):
//   durable STORAGE_CONNECTION_STRING [INSTANCES=200] [STEPS=6] [TIMERS=1]
//   jobs STORAGE_CONNECTION_STRING [JOBS=200] [SLOTS=100]
//   copy STORAGE_CONNECTION_STRING [MEGABYTES=300]
//   slots STORAGE_CONNECTION_STRING [JOBS=200] [SLOTS=100] [HOLD_MS=2000] [RETRY_MS=5000]
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
return args switch
{
    ["durable", var storage, ..] => await DurableBenchmark.RunAsync(storage, Arg(2, 200), Arg(3, 6), Arg(4, 1)),
    ["jobs", var storage, ..] => await JobsBenchmark.RunAsync(storage, Arg(2, 200), Arg(3, 100)),
    ["copy", var storage, ..] => await CopyBenchmark.RunAsync(storage, Arg(2, 300)),
    ["slots", var storage, ..] => await SlotsBenchmark.RunAsync(storage, Arg(2, 200), Arg(3, 100), TimeSpan.FromMilliseconds(Arg(4, 2000)), TimeSpan.FromMilliseconds(Arg(5, 5000))),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: VaceFunctions.Benchmarks durable|jobs|copy|slots STORAGE_CONNECTION_STRING [ARGS]");
    return 2;
}
