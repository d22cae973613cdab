using ClinicPortal.Features;
using ClinicPortal.Features.Staff;
using ClinicPortal.Infrastructure;
using ClinicPortal.Infrastructure.Database;

if (await Commands.TryRunAsync(args) is { } exitCode) return exitCode;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"), // the repository's wwwroot, copied at build
});
builder.AddClinicDatabase();
builder.AddVoiceBooking();
builder.AddStaffPortal();

var app = builder.Build();
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    // Bad input is the caller's mistake: 400 with a problem body, never a 500.
    StatusCodeSelector = e => e switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        Microsoft.AspNetCore.Antiforgery.AntiforgeryValidationException => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status500InternalServerError,
    },
});
app.UseStatusCodePages();
app.MapStaffPortal();
app.MapVoiceBooking();
app.Run();
return 0;

public partial class Program;
