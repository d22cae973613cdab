using ClinicPortal.Features.Audit;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Calls;
using ClinicPortal.Features.Events;
using ClinicPortal.Features.Health;
using ClinicPortal.Features.Latency;
using ClinicPortal.Features.Messages;
using ClinicPortal.Features.Procedures;
using ClinicPortal.Features.Webhooks;
using NodaTime;

namespace ClinicPortal.Features;

public static class FeatureRegistration
{
    public static WebApplicationBuilder AddVoiceBooking(this WebApplicationBuilder builder)
    {
        var s = builder.Services;
        s.AddSingleton<IClock>(SystemClock.Instance);
        s.AddSingleton(TimeProvider.System);
        s.AddSingleton<CommitSignal>();
        s.AddHostedService<EventWakeup>();
        s.AddSingleton<AuditSealer>();
        s.AddHostedService(sp => sp.GetRequiredService<AuditSealer>());
        s.AddSingleton<AuditChain>();
        s.AddSingleton<WebhookCredentials>();
        s.AddSingleton<ToolLedger>();
        s.AddSingleton<Booker>();
        s.AddSingleton<Privacy.NoteProtector>();
        s.AddSingleton<Privacy.AppointmentNotes>();
        s.AddSingleton<CallMessages>();
        s.AddSingleton<CallStore>();
        s.AddMessaging(builder.Configuration);
        s.AddSingleton<ITool, CheckAvailabilityTool>();
        s.AddSingleton<ITool, BookAppointmentTool>();
        s.AddSingleton<ITool, CancelAppointmentTool>();
        s.AddSingleton<ITool, RescheduleAppointmentTool>();
        s.AddSingleton<ITool, LookupProcedureTool>();
        s.AddSingleton<ToolRunner>();
        s.AddSingleton<WebhookLatency>();
        s.AddHostedService(sp => sp.GetRequiredService<WebhookLatency>());
        s.AddSingleton<LatencyStore>();
        s.AddProblemDetails();
        s.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        return builder;
    }

    public static WebApplication MapVoiceBooking(this WebApplication app)
    {
        WebhookLatency.UseWebhookTiming(app);
        app.MapVapiEndpoints();
        app.MapTwilioEndpoints();
        app.MapHealthEndpoints();
        return app;
    }
}
