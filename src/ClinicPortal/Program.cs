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
app.UseProblemResponses();
app.MapStaffPortal();
app.MapVoiceBooking();
app.Run();
return 0;

public partial class Program;
