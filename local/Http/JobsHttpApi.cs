using Microsoft.AspNetCore.Routing;
using VaceFunctions.Orchestrations.Http;

namespace VaceFunctions.Local.Http;

/// <summary>
/// JobsHttpApi: the HTTP face of the embedded host — the shared <see cref="JobsApi"/> routes, every one behind the
/// API key (see <see cref="HttpApiOptions"/>).
/// </summary>
public static class JobsHttpApi
{
    public static IEndpointRouteBuilder MapJobsHttpApi(this IEndpointRouteBuilder app) => app.MapJobsApi(ApiKeyFilter.IsAuthorized);
}
