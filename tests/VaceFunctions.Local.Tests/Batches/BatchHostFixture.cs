using VaceFunctions.Local.Tests.Http;

namespace VaceFunctions.Local.Tests.Batches;

/// <summary>
/// A host whose batches are stored in pages of two lines, start two pages an execution and follow every 300 ms, so
/// that a batch of a few lines continues as new several times; at most 40 lines a batch; callbacks may go to loopback
/// and are signed with <see cref="CallbackSecret"/>.
/// </summary>
public sealed class BatchHostFixture : HttpHostFixture
{
    public const int MaxLines = 40;

    public const string CallbackSecret = "batch-hook-secret";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["Vace:Batches:PageSize"] = "2";
        settings["Vace:Batches:PagesPerExecution"] = "2";
        settings["Vace:Batches:FollowInterval"] = "00:00:00.300";
        settings["Vace:Batches:MaxLines"] = MaxLines.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Vace:Batches:MaxBytes"] = "65536";
        settings["Vace:Http:JobsPerMinute"] = "0";
        settings["Vace:AllowLoopbackUrls"] = "true";
        settings["Vace:CallbackSecret"] = CallbackSecret;
    }
}
