using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VaceFunctions.Orchestrations.Inputs;
using VaceFunctions.Orchestrations.Output;
using VaceFunctions.Tests.Shared;

namespace VaceFunctions.Orchestrations.Tests.Inputs;

/// <summary>Tests that change the process-wide default proxy (what HTTP_PROXY / HTTPS_PROXY set), run alone.</summary>
[CollectionDefinition(nameof(ProcessWideProxy), DisableParallelization = true)]
public sealed class ProcessWideProxy;

/// <summary>
/// A proxy would open the connection for the guarded clients, to any address: they ignore the configured proxy, so a
/// request to an internal address is still refused by the guard and nothing reaches the proxy.
/// </summary>
[Collection(nameof(ProcessWideProxy))]
public sealed class MediaHttpClientProxyTests
{
    [Theory]
    [InlineData(ProbeInputsActivity.HttpClientName, "GET")]
    [InlineData(NotifyCallbackActivity.HttpClientName, "POST")]
    public async Task Request_WithADefaultProxyConfigured_GoesDirectAndIsRefused(string client, string method)
    {
        await using var proxy = RawHttpServer.Start();
        var previous = HttpClient.DefaultProxy;
        HttpClient.DefaultProxy = new WebProxy($"http://127.0.0.1:{proxy.Port}");
        try
        {
            // Loopback is allowed, as a proxy on the network would be: only ignoring the proxy keeps the request out.
            using var services = MediaHttpClientTests.Services(allowLoopback: true);
            var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(client);
            using var request = new HttpRequestMessage(new HttpMethod(method), "http://169.254.169.254/latest/meta-data/")
            {
                Content = method == "POST" ? new StringContent("{}") : null,
            };

            var error = await Record.ExceptionAsync(() => http.SendAsync(request));

            Assert.True(error is not null && UrlGuard.IsRefusal(error), error?.ToString() ?? "the request went through");
            Assert.Equal(0, proxy.Connections);
        }
        finally
        {
            HttpClient.DefaultProxy = previous;
        }
    }
}
