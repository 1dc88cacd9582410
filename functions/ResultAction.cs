using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace VaceFunctions.Functions;

/// <summary>Runs a minimal-API result (the shared handlers') inside the Functions ASP.NET Core pipeline.</summary>
internal sealed class ResultAction(IResult result) : IActionResult
{
    public static ResultAction Of(IResult result) => new(result);

    public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
}
