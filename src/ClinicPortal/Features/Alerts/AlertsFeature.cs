namespace ClinicPortal.Features.Alerts;

public static class AlertsFeature
{
    /// <summary>The alert monitor (a hosted service), its email sender (Smtp:*) and the store behind the Alerts page and settings.</summary>
    public static IServiceCollection AddAlerts(this IServiceCollection s, IConfiguration config)
    {
        s.Configure<SmtpOptions>(config.GetSection("Smtp"));
        s.AddSingleton<AlertMail>();
        s.AddSingleton<AlertStore>();
        s.AddSingleton<AlertMonitor>();
        s.AddHostedService(sp => sp.GetRequiredService<AlertMonitor>());
        return s;
    }
}
