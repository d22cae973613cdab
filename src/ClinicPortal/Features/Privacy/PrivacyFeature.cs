namespace ClinicPortal.Features.Privacy;

public static class PrivacyFeature
{
    /// <summary>Notes encrypted at rest and read with an audit row.</summary>
    public static IServiceCollection AddPrivacy(this IServiceCollection s)
    {
        s.AddSingleton<NoteProtector>();
        s.AddSingleton<AppointmentNotes>();
        return s;
    }
}
