using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Local.Http;

/// <summary>Admits a request that carries the configured API key, or, with no key configured, one from loopback.</summary>
internal static class ApiKeyFilter
{
    public static bool IsAuthorized(HttpContext context)
    {
        var key = context.RequestServices.GetRequiredService<IOptions<HttpApiOptions>>().Value.ApiKey;
        if (string.IsNullOrEmpty(key))
        {
            return context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
        }

        var headers = context.Request.Headers;
        var presented = headers["x-api-key"].FirstOrDefault()
            ?? headers["x-functions-key"].FirstOrDefault()
            ?? (headers.Authorization.FirstOrDefault() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null);
        return presented is not null
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }
}
