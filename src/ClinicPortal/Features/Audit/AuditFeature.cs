namespace ClinicPortal.Features.Audit;

public static class AuditFeature
{
    /// <summary>The sealer that hash-chains audit rows after commit, chain verification, and the admins' audit log.</summary>
    public static IServiceCollection AddAudit(this IServiceCollection s)
    {
        s.AddSingleton<AuditSealer>();
        s.AddHostedService(sp => sp.GetRequiredService<AuditSealer>());
        s.AddSingleton<AuditChain>();
        s.AddSingleton<AuditLogStore>();
        return s;
    }
}
