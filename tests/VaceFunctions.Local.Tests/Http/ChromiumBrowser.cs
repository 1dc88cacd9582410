using Microsoft.Playwright;

namespace VaceFunctions.Local.Tests.Http;

/// <summary>
/// A headless Chromium driven by Playwright, shared by a test class: the Debian <c>chromium</c> package (scripts/test.sh
/// installs it), or the browser <c>PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH</c> names. Playwright's own browser downloads are
/// never used, so nothing is fetched at test time.
/// </summary>
public sealed class ChromiumBrowser : IAsyncLifetime
{
    public const string ExecutablePathVariable = "PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string ExecutablePath => Environment.GetEnvironmentVariable(ExecutablePathVariable) is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ExecutablePath),
            $"No Chromium at {ExecutablePath}: install the Debian package (apt-get install chromium; scripts/test.sh does) or set {ExecutablePathVariable}.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true });
    }

    /// <summary>A fresh browser context (its own session storage), with generous timeouts for a loaded machine.</summary>
    public async Task<IBrowserContext> NewContextAsync(IDictionary<string, string>? headers = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 1000 },
            ExtraHTTPHeaders = headers,
        });
        context.SetDefaultTimeout(120_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
