using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>
/// Who may call the HTTP API, through the real listener: a caller on this machine without a key, only when no proxy
/// passed the request on; clients by their hashed keys, rotated while the host runs; and each client's job creation
/// held to its own rate, with 429 and Retry-After beyond it.
/// </summary>
public sealed partial class HttpAccessTests(HttpAccessTests.LimitedHost host) : IClassFixture<HttpAccessTests.LimitedHost>
{
    /// <summary>The HTTP API's host with two more clients, each allowed <see cref="JobsPerMinute"/> job creations a minute.</summary>
    public sealed class LimitedHost : HttpHostFixture
    {
        public const int JobsPerMinute = 2;

        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Vace:Http:Keys:burst-a"] = ClientKeys.Hash("key-of-a");
            settings["Vace:Http:Keys:burst-b"] = ClientKeys.Hash("key-of-b");
            settings["Vace:Http:JobsPerMinute"] = JobsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    [Fact]
    public async Task Loopback_WithoutProxyHeaders_NeedsNoKey()
    {
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/never-submitted", key: null)).StatusCode);
    }

    /// <summary>A reverse proxy on this machine connects from loopback; the header it adds makes its callers strangers.</summary>
    [Theory]
    [InlineData("X-Forwarded-For", "203.0.113.7")]
    [InlineData("Forwarded", "for=203.0.113.7;proto=https")]
    [InlineData("X-Forwarded-Host", "vace.example.com")]
    [InlineData("X-Real-IP", "203.0.113.7")]
    [InlineData("Via", "1.1 proxy")]
    public async Task Loopback_ThroughAProxy_WithoutAKey_Is401_AndWithTheKeyIsServed(string header, string value)
    {
        var proxied = new KeyValuePair<string, string>(header, value);

        var refused = await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: null, header: proxied);
        var refusedFace = await host.SendAsync(HttpMethod.Get, "api/v1/tasks/x", key: null, header: proxied);
        var admitted = await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", header: proxied);
        var admittedByBearer = await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", bearer: true, header: proxied);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refusedFace.StatusCode);
        Assert.Equal("InvalidApiKey", JsonNode.Parse(await refusedFace.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admittedByBearer.StatusCode);
    }

    /// <summary>A page whose name was rebound to 127.0.0.1 reaches the host from loopback, but with its own name as Host.</summary>
    [Theory]
    [InlineData("attacker.example:7071")]
    [InlineData("attacker.example")]
    [InlineData("127.0.0.1.nip.io:7071")]
    [InlineData("localhost.attacker.example")]
    public async Task Loopback_WithAForeignHost_IsAStranger(string hostHeader)
    {
        var jobs = await SendAsync(HttpMethod.Get, "api/jobs?top=1", request => request.Headers.Host = hostHeader);
        var face = await SendAsync(HttpMethod.Get, "api/v1/tasks/x", request => request.Headers.Host = hostHeader);
        var admitted = await SendAsync(HttpMethod.Get, "api/jobs?top=1", request =>
        {
            request.Headers.Host = hostHeader;
            request.Headers.Add("x-api-key", HttpHostFixture.Key);
        });

        Assert.Equal(HttpStatusCode.Unauthorized, jobs.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, face.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    [Theory]
    [InlineData("localhost:7071")]
    [InlineData("LOCALHOST")]
    [InlineData("vace.localhost:8080")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:1234")]
    [InlineData("[::1]:7071")]
    public async Task Loopback_WithALoopbackHostOnAnyPort_NeedsNoKey(string hostHeader)
    {
        var response = await SendAsync(HttpMethod.Get, "api/jobs?top=1", request => request.Headers.Host = hostHeader);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>What a browser says of a request another site's page made: the caller is a stranger who needs a key.</summary>
    [Theory]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    [InlineData("Origin", "http://attacker.example")]
    [InlineData("Origin", "http://localhost:1")]
    [InlineData("Origin", "null")]
    public async Task Loopback_SentByAnotherSitesPage_IsAStranger(string header, string value)
    {
        var jobs = await SendAsync(HttpMethod.Get, "api/jobs?top=1", request => request.Headers.Add(header, value));
        var admitted = await SendAsync(HttpMethod.Get, "api/jobs?top=1", request =>
        {
            request.Headers.Add(header, value);
            request.Headers.Add("x-api-key", HttpHostFixture.Key);
        });

        Assert.Equal(HttpStatusCode.Unauthorized, jobs.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
    }

    /// <summary>The dashboard's own requests: same-origin, with the page's own Origin.</summary>
    [Fact]
    public async Task Loopback_FromTheHostsOwnPage_NeedsNoKey()
    {
        var origin = host.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);

        var response = await SendAsync(HttpMethod.Get, "api/jobs?top=1", request =>
        {
            request.Headers.Add("Sec-Fetch-Site", "same-origin");
            request.Headers.Add("Origin", origin);
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// A DashScope sample sends its own DashScope key as Bearer: from this machine, that key is ignored (and logged as
    /// ignored, never shown), and the request is served as a local caller's; from elsewhere, it is refused.
    /// </summary>
    [Fact]
    public async Task Loopback_WithAKeyNoClientHas_IsServed_AndTheKeyIsNeverLogged()
    {
        const string DashScopeKey = "sk-0123456789abcdef-a-dashscope-key";

        var local = await host.SendAsync(HttpMethod.Get, "api/v1/tasks/never-created", key: DashScopeKey, bearer: true);
        var proxied = await host.SendAsync(HttpMethod.Get, "api/v1/tasks/never-created", key: DashScopeKey, bearer: true, header: HttpHostFixture.Proxied);

        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal("UNKNOWN", JsonNode.Parse(await local.Content.ReadAsStringAsync())!["output"]!["task_status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, proxied.StatusCode);
        Assert.Contains(host.Logs.Messages, m => m.StartsWith("A caller on this machine presented a key no client has", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Messages, m => m.Contains(DashScopeKey, StringComparison.Ordinal));
    }

    /// <summary>Bound beyond loopback while loopback is trusted, the host says so as it starts; on loopback alone it does not.</summary>
    [Theory]
    [InlineData("http://0.0.0.0:0", true)]
    [InlineData("http://127.0.0.1:0", false)]
    public async Task Start_ListeningBeyondLoopback_WhileLoopbackIsTrusted_Warns(string urls, bool warns)
    {
        var settings = new Dictionary<string, string?>(host.Settings) { ["Durable:TaskHub"] = Azurite.UniqueName("warnhub") };
        var logs = new ListLoggerProvider();
        await using var app = VaceFunctions.Local.Hosting.VaceLocalHost.Build(["--urls", urls], settings);
        app.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().AddProvider(logs);
        await app.StartAsync();
        await app.StopAsync();

        Assert.Equal(warns, logs.Messages.Any(m => m.StartsWith("The HTTP API listens on http://0.0.0.0:", StringComparison.Ordinal)));
        Assert.DoesNotContain(logs.Messages, m => m.StartsWith("The HTTP API listens on http://127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Key_AsFunctionsKeyHeader_IsAccepted_AndAWrongOneIs401()
    {
        using var right = new HttpRequestMessage(HttpMethod.Get, "api/jobs?top=1") { Headers = { { "x-functions-key", HttpHostFixture.Key }, { "X-Forwarded-For", "203.0.113.7" } } };
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "api/jobs?top=1") { Headers = { { "x-functions-key", "test-kez" }, { "X-Forwarded-For", "203.0.113.7" } } };

        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(right)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.SendAsync(wrong)).StatusCode);
    }

    [Fact]
    public async Task TrustLoopbackOff_LoopbackWithoutAKey_Is401_WithoutARestart()
    {
        host.Reconfigure(new Dictionary<string, string?> { ["Vace:Http:TrustLoopback"] = "false" });
        try
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: null)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, "api/jobs?top=1")).StatusCode);
        }
        finally
        {
            host.Reconfigure(new Dictionary<string, string?> { ["Vace:Http:TrustLoopback"] = "true" });
        }
    }

    /// <summary>
    /// Keys made by <c>vace key new</c>, configured by the line it prints: the first admits its client once the
    /// configuration reloads; rotated to the second, the second admits and the first no longer does — all without a restart.
    /// </summary>
    [Fact]
    public async Task KeyNew_ConfiguredThenRotated_TakesEffectOnReload_AndTheOldKeyStops()
    {
        var (first, firstLine) = await NewKeyAsync("rotating");
        var (second, secondLine) = await NewKeyAsync("rotating");
        var proxied = HttpHostFixture.Proxied;
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: first, header: proxied)).StatusCode);

        host.Reconfigure(new Dictionary<string, string?> { [firstLine.Key] = firstLine.Value });
        var firstAdmitted = await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: first, header: proxied);
        host.Reconfigure(new Dictionary<string, string?> { [secondLine.Key] = secondLine.Value });
        var secondAdmitted = await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: second, header: proxied);
        var firstAfterRotation = await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: first, header: proxied);

        Assert.Equal("Vace:Http:Keys:rotating", firstLine.Key);
        Assert.Equal(ClientKeys.Hash(first), firstLine.Value);
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.OK, firstAdmitted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, secondAdmitted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, firstAfterRotation.StatusCode);
    }

    [Fact]
    public async Task Logs_NameClientsAndRefusals_ButNeverAKey()
    {
        const string Wrong = "not-a-key-of-anyone-5f3a";
        await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: Wrong, header: HttpHostFixture.Proxied);
        await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", header: HttpHostFixture.Proxied);
        host.Reconfigure(new Dictionary<string, string?> { ["Vace:Http:Keys:burst-a"] = ClientKeys.Hash("key-of-a") });

        var logs = host.Logs.Messages;

        Assert.Contains(logs, m => m.StartsWith("A key no client has was presented from ", StringComparison.Ordinal));
        Assert.Contains(logs, m => m.StartsWith("HTTP API keys: ", StringComparison.Ordinal) && m.Contains(HttpHostFixture.Client, StringComparison.Ordinal));
        Assert.DoesNotContain(logs, m => m.Contains(Wrong, StringComparison.Ordinal) || m.Contains(HttpHostFixture.Key, StringComparison.Ordinal) || m.Contains("key-of-a", StringComparison.Ordinal));
    }

    /// <summary>
    /// One client past its rate gets 429 with Retry-After on both create routes, in each face's error shape; another
    /// client, and reading jobs, are not held back by it.
    /// </summary>
    [Fact]
    public async Task CreateJobs_PastTheClientsRate_Is429WithRetryAfter_OnlyForThatClient()
    {
        var proxied = HttpHostFixture.Proxied;
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < LimitedHost.JobsPerMinute; i++)
        {
            // An invalid document is refused after the limiter let it in: it costs a permit and starts no job.
            answers.Add((await host.SendAsync(HttpMethod.Post, "api/jobs", "{ nope", key: "key-of-a", header: proxied)).StatusCode);
        }

        var limited = await host.SendAsync(HttpMethod.Post, "api/jobs", "{ nope", key: "key-of-a", header: proxied);
        var limitedFace = await host.SendAsync(
            HttpMethod.Post, "api/v1/services/aigc/video-generation/video-synthesis", "{ nope", key: "key-of-a", bearer: true, async: true, header: proxied);
        var otherClient = await host.SendAsync(HttpMethod.Post, "api/jobs", "{ nope", key: "key-of-b", header: proxied);
        var reading = await host.SendAsync(HttpMethod.Get, "api/jobs?top=1", key: "key-of-a", header: proxied);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.BadRequest, a));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60 / LimitedHost.JobsPerMinute);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType!.MediaType);
        Assert.Equal(429, JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["status"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.TooManyRequests, limitedFace.StatusCode);
        Assert.True(limitedFace.Headers.RetryAfter is not null);
        Assert.Equal("Throttling.RateQuota", JsonNode.Parse(await limitedFace.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, otherClient.StatusCode);
        Assert.Equal(HttpStatusCode.OK, reading.StatusCode);
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("a__b")]
    [InlineData("")]
    public async Task KeyNew_ClientNameThatWouldNotStayOneSetting_IsRefused(string client)
    {
        var (exitCode, output, error) = await VaceProcess.RunAsync("key", "new", "--client", client);

        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain("vace_", output, StringComparison.Ordinal);
        Assert.Contains("--client", error, StringComparison.Ordinal);
    }

    /// <summary>The plain key the hashed keys replace stops the host with the way forward, instead of locking its clients out unannounced.</summary>
    [Fact]
    public void Build_WithThePlainApiKeySetting_RefusesToStart()
    {
        var settings = new Dictionary<string, string?> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["Vace:Http:ApiKey"] = "old-plain-key" };

        var error = Assert.Throws<InvalidOperationException>(() => VaceFunctions.Local.Hosting.VaceLocalHost.Build([], settings));

        Assert.Contains("vace key new", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("old-plain-key", error.Message, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Action<HttpRequestMessage> adjust)
    {
        using var request = new HttpRequestMessage(method, path);
        adjust(request);
        return await host.Http.SendAsync(request);
    }

    /// <summary>Runs <c>vace key new --client NAME</c>; returns the key it printed and the configuration line (as a key path).</summary>
    private static async Task<(string Key, KeyValuePair<string, string> Line)> NewKeyAsync(string client)
    {
        var (exitCode, output, error) = await VaceProcess.RunAsync("key", "new", "--client", client);
        Assert.True(exitCode == 0, error);
        var key = KeyLine().Match(output);
        var line = ConfigLine().Match(output);
        Assert.True(key.Success && line.Success, output);
        return (key.Groups[1].Value, new(line.Groups[1].Value.Replace("__", ":", StringComparison.Ordinal), line.Groups[2].Value));
    }

    [GeneratedRegex(@"^  (vace_[A-Za-z0-9_-]{43})$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    [GeneratedRegex("^  \"(Vace__Http__Keys__[A-Za-z0-9_-]+)\": \"(sha256:[0-9a-f]{64})\"$", RegexOptions.Multiline)]
    private static partial Regex ConfigLine();
}
