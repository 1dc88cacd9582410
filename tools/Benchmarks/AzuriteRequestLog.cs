using System.Globalization;
using System.Text.RegularExpressions;

namespace VaceFunctions.Benchmarks;

/// <summary>
/// The requests in Azurite's debug log (<c>azurite --debug FILE</c>): one per HTTP request — one billed storage
/// transaction — with its time, service and operation. Requests whose headers carry <see cref="OwnApplicationId"/>
/// (the benchmark's own clients) are left out.
/// </summary>
internal static partial class AzuriteRequestLog
{
    /// <summary>The application id the benchmark's own storage clients send, so their requests are not counted.</summary>
    public const string OwnApplicationId = "vace-bench";

    public sealed record Request(DateTime At, string Service, string Operation);

    public static IReadOnlyList<Request> Read(string path)
    {
        var started = new Dictionary<string, (DateTime At, string Service)>();
        var operations = new Dictionary<string, string>();
        using (var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
        {
            while (reader.ReadLine() is { } line)
            {
                if (RequestLine().Match(line) is { Success: true } request)
                {
                    if (!line.Contains(OwnApplicationId, StringComparison.Ordinal))
                    {
                        started.TryAdd(request.Groups["id"].Value, (
                            DateTime.Parse(request.Groups["at"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                            request.Groups["service"].Value));
                    }
                }
                else if (OperationLine().Match(line) is { Success: true } operation)
                {
                    operations.TryAdd(operation.Groups["id"].Value, operation.Groups["operation"].Value);
                }
            }
        }

        return started
            .Select(r => new Request(r.Value.At, r.Value.Service, operations.TryGetValue(r.Key, out var name) ? name : r.Value.Service + "_Refused"))
            .OrderBy(r => r.At)
            .ToArray();
    }

    [GeneratedRegex(@"^(?<at>\S+Z) (?<id>\S+) info: (?<service>Blob|Queue|Table)StorageContextMiddleware: RequestMethod=")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"^\S+Z (?<id>\S+) info: DispatchMiddleware: Operation=(?<operation>\S+)")]
    private static partial Regex OperationLine();
}
