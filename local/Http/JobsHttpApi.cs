using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Http;
using VaceFunctions.Orchestrations.Operations;

namespace VaceFunctions.Local.Http;

/// <summary>
/// JobsHttpApi: the HTTP face of the embedded host — the shared <see cref="JobsApi"/> and <see cref="PoisonApi"/> routes, each admitted by the
/// <see cref="ApiKeyring"/> (a client's key, or a caller on this machine), and job creation held to
/// <see cref="HttpApiOptions.JobsPerMinute"/> per caller by ASP.NET Core's rate limiter (429 with <c>Retry-After</c>).
/// </summary>
public static class JobsHttpApi
{
    /// <summary>The rate-limiting policy of the routes that create jobs.</summary>
    public const string CreatePolicy = "vace-create";

    /// <summary>The rate limiter's middleware, then the routes; call once, on the built application.</summary>
    public static WebApplication MapJobsHttpApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var keyring = app.Services.GetRequiredService<ApiKeyring>();
        app.UseRateLimiter();
        app.MapJobsApi(context => keyring.Identify(context).Admitted, CreatePolicy);
        app.MapBatchesApi(context => keyring.Identify(context).Admitted, CreatePolicy);
        app.MapPoisonApi(context => keyring.Identify(context).Admitted);
        return app;
    }

    /// <summary>
    /// The create policy: a token bucket per caller (<see cref="ApiCaller.Partition"/>) holding
    /// <see cref="HttpApiOptions.JobsPerMinute"/> and refilled one at a time over the minute; a refused call is 429
    /// with <c>Retry-After</c> (whole seconds until the next token) and the face's own error body.
    /// </summary>
    public static void ConfigureRateLimiter(RateLimiterOptions limiter)
    {
        ArgumentNullException.ThrowIfNull(limiter);
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.AddPolicy(CreatePolicy, context =>
        {
            var perMinute = context.RequestServices.GetRequiredService<IOptions<HttpApiOptions>>().Value.JobsPerMinute;
            var partition = context.RequestServices.GetRequiredService<ApiKeyring>().Identify(context).Partition;
            return perMinute <= 0
                ? RateLimitPartition.GetNoLimiter(partition)
                : RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perMinute,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
                    QueueLimit = 0,
                });
        });
        limiter.OnRejected = async (rejected, _) =>
        {
            var http = rejected.HttpContext;
            var perMinute = http.RequestServices.GetRequiredService<IOptions<HttpApiOptions>>().Value.JobsPerMinute;
            var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1) / perMinute;
            var seconds = (int)Math.Max(1, Math.Ceiling(wait.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            var message = $"At most {perMinute} jobs a minute may be created; retry after {seconds} s.";
            var answer = http.Request.Path.StartsWithSegments("/api/v1", StringComparison.OrdinalIgnoreCase)
                ? JobsApi.DashScopeError(StatusCodes.Status429TooManyRequests, DashScopeErrorCodes.ThrottlingRateQuota, message)
                : Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: message);
            await answer.ExecuteAsync(http);
        };
    }
}
