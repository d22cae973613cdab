using ClinicPortal.Features;
using ClinicPortal.Infrastructure;
using ClinicPortal.Infrastructure.Database;

if (await Commands.TryRunAsync(args) is { } exitCode) return exitCode;

var builder = WebApplication.CreateBuilder(args);
builder.AddClinicDatabase();
builder.AddVoiceBooking();

var app = builder.Build();
app.MapVoiceBooking();
app.Run();
return 0;

public partial class Program;
