using ClinicPortal.Features.Webhooks;

namespace ClinicPortal.Features.Procedures;

public static class ProceduresFeature
{
    /// <summary>The clinic's procedures: staff editing, the agent's lookup tool, the public pages texts link to.</summary>
    public static IServiceCollection AddProcedures(this IServiceCollection s)
    {
        s.AddSingleton<ProcedureStore>();
        s.AddSingleton<PublicProcedureStore>();
        s.AddSingleton<ITool, LookupProcedureTool>();
        s.AddSingleton<KnowledgeBase>();
        return s;
    }
}
