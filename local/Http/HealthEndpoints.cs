using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using VaceFunctions.Orchestrations.Health;

namespace VaceFunctions.Local.Http;

/// <summary>
/// The embedded host's health endpoints, open to every caller (they tell no secret, endpoint or key): <c>/healthz</c>
/// answers 200 while the process serves requests; <c>/readyz</c> runs the <see cref="ReadinessChecks"/> and answers 200,
/// or 503 naming the check that failed.
/// </summary>
public static class HealthEndpoints
{
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = ReadinessChecks.WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadinessChecks.Tag), ResponseWriter = ReadinessChecks.WriteAsync });
        return app;
    }
}
