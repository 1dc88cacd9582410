using System.Net;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VaceFunctions.Local.Http;
using VaceFunctions.Orchestrations.Workflow;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>
/// The jobs dashboard in a real headless Chromium against the real host (Azurite, the simulator): a job submitted from
/// the page shows up in the list and reaches Succeeded without a reload, its page shows the timeline, the manifest and
/// the video played from the owned storage, a long job is canceled from its page, the filters narrow the list, and a
/// caller the API does not trust is asked for a key. With <c>VACE_WRITE_SCREENSHOT=path</c>, the succeeded job's page
/// is saved there (the picture in docs/operations.md).
/// </summary>
public sealed class DashboardTests(HttpHostFixture host, ChromiumBrowser chromium) : IClassFixture<HttpHostFixture>, IClassFixture<ChromiumBrowser>
{
    public const string ScreenshotVariable = "VACE_WRITE_SCREENSHOT";

    /// <summary>A time as the page shows it, in UTC.</summary>
    private const string Time = @"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$";

    [Fact]
    public async Task Page_IsServedToAnyCaller_SelfContained_UnderAStrictContentSecurityPolicy()
    {
        var page = await host.SendAsync(HttpMethod.Get, "", key: null, header: HttpHostFixture.Proxied);
        var script = await host.SendAsync(HttpMethod.Get, "dashboard/dashboard.js", key: null, header: HttpHostFixture.Proxied);
        var style = await host.SendAsync(HttpMethod.Get, "dashboard/dashboard.css", key: null, header: HttpHostFixture.Proxied);

        Assert.Equal((HttpStatusCode.OK, "text/html"), (page.StatusCode, page.Content.Headers.ContentType!.MediaType));
        Assert.Equal((HttpStatusCode.OK, "text/javascript"), (script.StatusCode, script.Content.Headers.ContentType!.MediaType));
        Assert.Equal((HttpStatusCode.OK, "text/css"), (style.StatusCode, style.Content.Headers.ContentType!.MediaType));
        Assert.Equal(JobsDashboard.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", script.Headers.GetValues("X-Content-Type-Options").Single());

        // Nothing from another origin: the page works offline.
        foreach (var file in new[] { page, script, style })
        {
            var text = await file.Content.ReadAsStringAsync();
            Assert.DoesNotContain("http://", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("https://", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task JobSubmittedFromThePage_ReachesSucceededInTheListWithoutAReload_AndItsPageShowsTimelineManifestAndPlaysTheVideo()
    {
        await using var context = await chromium.NewContextAsync();
        var page = await OpenAsync(context);
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        await page.ClickAsync("#new-job summary");
        await page.FillAsync("#new-job-document", host.Sample("video_outpainting", "dash-ok").ToJsonString());
        await page.ClickAsync("#new-job-form button[type=submit]");
        await page.WaitForSelectorAsync("#new-job-link");
        await page.WaitForSelectorAsync("#jobs tr[data-job-id='dash-ok'][data-outcome='Succeeded']");

        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the list reloaded the page");
        Assert.False(await page.IsVisibleAsync("#key-form"), "a caller on this machine needs no key");
        Assert.Equal("video_outpainting", await page.TextContentAsync("#jobs tr[data-job-id='dash-ok'] td:nth-child(2)"));

        await page.ClickAsync("#jobs tr[data-job-id='dash-ok'] a");
        await page.WaitForSelectorAsync("#manifest[data-written='true']");
        await page.WaitForFunctionAsync("() => document.getElementById('output-video').readyState >= 1");

        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "opening the job reloaded the page");
        Assert.Equal("Succeeded", await page.TextContentAsync("#job-outcome"));
        Assert.Equal("SUCCEEDED", await page.TextContentAsync("#job-task-status"));
        Assert.Matches(@"^\d+, last \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", await page.TextContentAsync("#job-polls"));
        var timeline = await page.Locator("#timeline tbody tr").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [...r.cells].map(c => c.textContent))");
        Assert.Equal(["Probing", "WaitingForSlot", "Submitting", "Generating", "Copying", "WritingManifest", "Succeeded"], timeline.Select(r => r[0]));
        Assert.All(timeline.SkipLast(1), r =>
        {
            Assert.Matches(Time, r[1]);
            Assert.Matches(Time, r[2]);
            Assert.Matches(@"^\d+\.\d s$", r[3]);
        });
        Assert.Contains("polls, task SUCCEEDED", timeline.Single(r => r[0] == "Generating")[4], StringComparison.Ordinal);
        Assert.Contains("\"jobId\": \"dash-ok\"", await page.TextContentAsync("#manifest"), StringComparison.Ordinal);

        // The video plays from the owned storage (Azurite here), through a read URL signed for this query.
        var video = await page.EvaluateAsync<string[]>("() => { const v = document.getElementById('output-video'); return [v.currentSrc, String(v.error), String(v.duration)]; }");
        var storage = host.Host.Services.GetRequiredService<BlobServiceClient>().Uri;
        Assert.StartsWith(storage.ToString().TrimEnd('/') + "/", video[0], StringComparison.Ordinal);
        Assert.Contains("sig=", video[0], StringComparison.Ordinal);
        Assert.Equal("null", video[1]);
        Assert.True(double.Parse(video[2], System.Globalization.CultureInfo.InvariantCulture) > 0, $"duration {video[2]}");

        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } path)
        {
            await page.EvaluateAsync("() => { document.getElementById('output-video').currentTime = 1; }");
            await page.WaitForFunctionAsync("() => { const v = document.getElementById('output-video'); return !v.seeking && v.readyState >= 3; }");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.GetFullPath(path), FullPage = true });
        }
    }

    [Fact]
    public async Task CancelFromThePage_EndsALongJobCanceled_AndTheFiltersNarrowTheListByOutcomeAndFunction()
    {
        using (host.KeepTasksPending())
        {
            await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_extension", "dash-cancel").ToJsonString());
            await using var context = await chromium.NewContextAsync();
            var page = await OpenAsync(context, "#/jobs/dash-cancel");
            await page.WaitForSelectorAsync("#job-task-status:text-is('PENDING')");

            await page.ClickAsync("#cancel-job");
            await page.WaitForSelectorAsync("#cancel-result:has-text('Cancel requested')");
            await page.WaitForSelectorAsync("#job-outcome span:text-is('Canceled')");

            Assert.Equal(VaceJobErrorCodes.Canceled, await page.TextContentAsync("#error-code"));
            Assert.False(await page.IsVisibleAsync("#cancel-job"), "an ended job offers no cancel");

            await page.ClickAsync("header h1 a");
            await page.SelectOptionAsync("#filter-outcome", "Canceled");
            await page.WaitForSelectorAsync("#jobs tr[data-job-id='dash-cancel'][data-outcome='Canceled']");
            await page.SelectOptionAsync("#filter-function", "video_outpainting");
            await page.WaitForSelectorAsync("#jobs tr[data-job-id='dash-cancel']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Detached });
            await page.SelectOptionAsync("#filter-function", "video_extension");
            await page.WaitForSelectorAsync("#jobs tr[data-job-id='dash-cancel']");
            await page.SelectOptionAsync("#filter-outcome", "Succeeded");
            await page.WaitForSelectorAsync("#jobs tr[data-job-id='dash-cancel']", new PageWaitForSelectorOptions { State = WaitForSelectorState.Detached });
        }
    }

    [Fact]
    public async Task CallerTheApiDoesNotTrust_IsAskedForAKey_AndSeesJobsOnlyWithTheRightOne_SentAsAHeaderNeverInAUrl()
    {
        await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_outpainting", "dash-stranger").ToJsonString());

        // A reverse proxy on this machine adds the header: its callers are strangers to the API, as the page is here.
        await using var context = await chromium.NewContextAsync(new Dictionary<string, string> { [HttpHostFixture.Proxied.Key] = HttpHostFixture.Proxied.Value });
        var requests = new List<IRequest>();
        var page = await context.NewPageAsync();
        page.Request += (_, request) => requests.Add(request);
        await page.GotoAsync(host.Host.Urls.First() + "/");
        await page.WaitForSelectorAsync("#key-form:visible");

        Assert.Equal(0, await page.Locator("#jobs tbody tr").CountAsync());
        await page.FillAsync("#key-input", "not-the-key");
        await page.ClickAsync("#key-form button[type=submit]");
        await page.WaitForSelectorAsync("#key-reason:text-is('The host refused that key.')");
        Assert.Equal(0, await page.Locator("#jobs tbody tr").CountAsync());

        await page.FillAsync("#key-input", HttpHostFixture.Key);
        await page.ClickAsync("#key-form button[type=submit]");
        await page.WaitForSelectorAsync("#jobs tr[data-job-id='dash-stranger']");

        Assert.False(await page.IsVisibleAsync("#key-form"));
        Assert.Equal(HttpHostFixture.Key, await page.EvaluateAsync<string>("() => sessionStorage.getItem('vace.apiKey')"));
        Assert.DoesNotContain(requests, r => r.Url.Contains(HttpHostFixture.Key, StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Url.Contains("/api/jobs", StringComparison.Ordinal) && r.Headers.GetValueOrDefault("x-api-key") == HttpHostFixture.Key);
    }

    /// <summary>
    /// A page of another site (localhost is a site of its own beside 127.0.0.1) makes the two requests a web page can
    /// make of a local API without asking first — a no-cors <c>text/plain</c> POST that would create a job, and a form
    /// post that would cancel one. Both reach the host, and both are refused: nothing is created or canceled.
    /// </summary>
    [Fact]
    public async Task PageOfAnotherSite_CannotCreateOrCancelJobs_ThroughTheBrowserOfThisMachine()
    {
        var pending = host.KeepTasksPending();
        try
        {
            await host.SendAsync(HttpMethod.Post, "api/jobs", host.Sample("video_extension", "dash-foreign-target").ToJsonString());
            var api = host.Host.Urls.First();
            var document = System.Text.Json.JsonSerializer.Serialize(host.Sample("video_outpainting", "dash-foreign-created").ToJsonString());
            var html = $$"""
                <!doctype html><html><body>
                <form id="f" method="post" action="{{api}}/api/jobs/dash-foreign-target/cancel" target="sink"><input name="a" value="b"></form>
                <iframe name="sink"></iframe>
                <script>
                fetch('{{api}}/api/jobs', { method: 'POST', mode: 'no-cors', body: {{document}} });
                document.getElementById('f').submit();
                </script></body></html>
                """;
            var bytes = System.Text.Encoding.UTF8.GetBytes(html);
            await using var site = RawHttpServer.Start(
                $"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n", bytes, bytes.Length);
            await using var context = await chromium.NewContextAsync();
            var page = await context.NewPageAsync();
            var failures = new List<string>();
            page.RequestFailed += (_, r) => failures.Add($"{r.Method} {r.Url}: {r.Failure}");
            page.Console += (_, m) => failures.Add(m.Text);
            var create = page.WaitForResponseAsync(r => r.Url == api + "/api/jobs" && r.Request.Method == "POST", new() { Timeout = 30_000 });
            var cancel = page.WaitForResponseAsync(r => r.Url.EndsWith("/dash-foreign-target/cancel", StringComparison.Ordinal), new() { Timeout = 30_000 });

            await page.GotoAsync($"http://localhost:{site.Port}/");
            await Task.WhenAny(Task.WhenAll(create, cancel), Task.Delay(35_000));
            Assert.True(create.IsCompletedSuccessfully && cancel.IsCompletedSuccessfully, string.Join("\n", failures));
            var created = await create;
            var canceled = await cancel;

            Assert.Contains(created.Status, new[] { 401, 415 });
            Assert.Equal(401, canceled.Status);
            Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "api/jobs/dash-foreign-created")).StatusCode);
            var target = System.Text.Json.Nodes.JsonNode.Parse(await (await host.SendAsync(HttpMethod.Get, "api/jobs/dash-foreign-target")).Content.ReadAsStringAsync())!;
            Assert.Equal("Waiting", target["outcome"]!.GetValue<string>());
        }
        finally
        {
            pending.Dispose();
            await host.SendAsync(HttpMethod.Post, "api/jobs/dash-foreign-target/cancel");
        }
    }

    private async Task<IPage> OpenAsync(IBrowserContext context, string fragment = "")
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(host.Host.Urls.First() + "/" + fragment);
        return page;
    }
}
