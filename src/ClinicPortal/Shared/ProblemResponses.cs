using ClinicPortal.Components;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClinicPortal.Shared;

public static class ProblemResponses
{
    /// <summary>
    /// Unhandled exceptions become problem responses: bad input (a bad request, a missing antiforgery token) is a
    /// 400, never a 500. An error status that nothing answered (an unknown path, an endpoint's bare status) gets
    /// a friendly page when a browser opens a page (GET accepting HTML) and a JSON problem body for everyone else
    /// (API clients, Vapi, Twilio). Razor pages are left alone: they write their own body for their own status.
    /// </summary>
    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                Microsoft.AspNetCore.Antiforgery.AntiforgeryValidationException => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status500InternalServerError,
            },
        });
        // Route first, so the predicate sees the endpoint. A Razor page must not be offered the status-code page:
        // .NET 10 then holds back a page's body whenever the page sets its own status (a 404 or a 410).
        app.UseRouting();
        app.UseWhen(c => c.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is null,
            other => other.UseStatusCodePages(WriteAsync));
        return app;
    }

    private static async Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (OpensAPage(http))
            await new RazorComponentResult<ErrorPage>(new { Status = http.Response.StatusCode }).ExecuteAsync(http);
        else
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = http });
    }

    /// <summary>A JSON problem body (RFC 9457) for an API client's bad request: what every endpoint answers bad input with.</summary>
    public static IResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);

    private static bool OpensAPage(HttpContext c) =>
        HttpMethods.IsGet(c.Request.Method) && c.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
