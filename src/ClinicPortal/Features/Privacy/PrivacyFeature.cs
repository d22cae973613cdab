namespace ClinicPortal.Features.Privacy;

public static class PrivacyFeature
{
    /// <summary>Data keys and sealed notes (read with an audit row), and the retention job.</summary>
    public static IServiceCollection AddPrivacy(this IServiceCollection s)
    {
        s.AddSingleton<NoteProtector>();
        s.AddSingleton<DataKeys>();
        s.AddSingleton<AppointmentNotes>();
        s.AddSingleton<Retention>();
        s.AddHostedService(sp => sp.GetRequiredService<Retention>());
        return s;
    }
}
