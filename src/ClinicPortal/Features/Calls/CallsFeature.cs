namespace ClinicPortal.Features.Calls;

public static class CallsFeature
{
    /// <summary>Vapi's status updates and end-of-call reports, and the calls board's reads.</summary>
    public static IServiceCollection AddCalls(this IServiceCollection s)
    {
        s.AddSingleton<CallMessages>();
        s.AddSingleton<CallStore>();
        s.AddSingleton<Transfers>();
        return s;
    }
}
