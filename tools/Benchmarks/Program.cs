using System.Globalization;
using VaceFunctions.Benchmarks;

// Benchmarks print figures; they are not tests. Usage (scripts/bench.sh starts Azurite and passes its storage):
//   durable STORAGE_CONNECTION_STRING [INSTANCES=100] [STEPS=5]
if (args.Length < 2 || args[0] != "durable")
{
    Console.Error.WriteLine("usage: VaceFunctions.Benchmarks durable STORAGE_CONNECTION_STRING [INSTANCES] [STEPS]");
    return 2;
}

var instances = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
var steps = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
return await DurableBenchmark.RunAsync(args[1], instances, steps);
