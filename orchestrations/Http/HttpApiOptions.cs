using System.ComponentModel.DataAnnotations;
using VaceFunctions.Orchestrations.IO;

namespace VaceFunctions.Orchestrations.Http;

/// <summary>
/// The HTTP API: configuration section <c>Vace:Http</c>. The embedded host admits a caller that presents one of the
/// <see cref="Keys"/> (<c>x-api-key</c>, <c>x-functions-key</c> or <c>Authorization: Bearer</c>), or, with
/// <see cref="TrustLoopback"/>, a loopback caller whose request came through no proxy; it limits how fast each caller
/// creates jobs (<see cref="JobsPerMinute"/>). The Functions app's triggers are behind the Functions host's own
/// function keys instead, and read only <see cref="OutputUrlLifetime"/>.
/// </summary>
public sealed class HttpApiOptions
{
    public const string SectionName = "Vace:Http";

    /// <summary>
    /// One key per client: the client's name to the hash of its key, <c>sha256:</c> and 64 hex digits
    /// (<c>Vace:Http:Keys:{client}</c>; <c>vace key new --client NAME</c> makes a key and prints the line). Only hashes
    /// are configured, so the configuration reveals no key. Read again when the configuration reloads: a key is
    /// added, rotated or revoked without a restart.
    /// </summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// More clients in one setting, <c>name=sha256:…</c> pairs separated by commas (<c>Vace:Http:KeyList</c>): the form a
    /// deployment template can write, where one app setting per client name cannot be. Read with <see cref="Keys"/>.
    /// </summary>
    public string? KeyList { get; set; }

    /// <summary>
    /// Whether a caller on this machine needs no key. A request is from this machine only when it arrived from a
    /// loopback address and carries no proxy header (<c>Forwarded</c>, <c>X-Forwarded-For</c>, <c>X-Real-IP</c>, …):
    /// one that a reverse proxy on this machine passed on must present a key. False: every caller presents a key.
    /// </summary>
    public bool TrustLoopback { get; set; } = true;

    /// <summary>
    /// How many jobs one client (by its key's name; a caller without a key by its address) may create a minute
    /// through <c>POST /api/jobs</c> or the DashScope-compatible create call, as a bucket that holds this many and
    /// refills evenly over the minute; beyond it the answer is 429 with <c>Retry-After</c>. 0 (or less): no limit.
    /// Read at start.
    /// </summary>
    public int JobsPerMinute { get; set; } = 60;

    /// <summary>
    /// How long the read SAS URL of an output, handed out by the DashScope-compatible face, stays valid: short, since
    /// every query mints a fresh one and no SAS is stored (the manifest and the result keep the plain blob URL). At
    /// most <see cref="BlobReadUrls.MaxUrlLifetime"/>, below the 7-day limit of a user delegation key.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", BlobReadUrls.MaxUrlLifetime)]
    public TimeSpan OutputUrlLifetime { get; set; } = TimeSpan.FromHours(1);
}
