using ClinicPortal.Features.Alerts;
using ClinicPortal.Features.Analytics;
using ClinicPortal.Features.Audit;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Calls;
using ClinicPortal.Features.Demo;
using ClinicPortal.Features.Events;
using ClinicPortal.Features.Health;
using ClinicPortal.Features.Latency;
using ClinicPortal.Features.Messages;
using ClinicPortal.Features.Operations;
using ClinicPortal.Features.Patients;
using ClinicPortal.Features.Privacy;
using ClinicPortal.Features.Procedures;
using ClinicPortal.Features.Security;
using ClinicPortal.Features.Staff;
using ClinicPortal.Features.Webhooks;
using ClinicPortal.Infrastructure;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Shared;

args = DemoMode.Apply(args);
if (await Commands.TryRunAsync(args) is { } exitCode) return exitCode;

try
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        Args = args,
        WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"), // the repository's wwwroot, copied at build
    });
    builder.UseSettingsBesideTheBinary();
    builder.AddClinicDatabase().AddNoteKeys();
    builder.Services.AddProblemDetails().AddEvents().AddAudit().AddWebhooks().AddBooking().AddProcedures().AddCalls()
        .AddMessaging(builder.Configuration).AddLatency().AddPrivacy().AddPatients().AddStaffPages().AddAlerts(builder.Configuration)
        .AddAnalytics();
    builder.AddStaffPortal();
    builder.AddSecurity();
    builder.AddTelemetry();
    builder.AddDataProtectionKeys();

    var app = builder.Build();
    app.UseSecurity();
    app.UseMetricsEndpoint();
    app.UseProblemResponses();
    app.UseRateLimiter();
    app.MapStaffPortal();
    app.UseWebhookTiming();
    app.MapEventsHub();
    app.MapAuditEndpoints();
    app.MapPatientEndpoints();
    app.MapAnalyticsEndpoints();
    app.MapVapiEndpoints();
    app.MapTwilioEndpoints();
    app.MapHealthEndpoints();
    app.Run();
    return 0;
}
catch (StartupRefusal refusal)
{
    Console.Error.WriteLine("ClinicPortal did not start: " + refusal.Message);
    return 1;
}

public partial class Program;
