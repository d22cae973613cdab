using ClinicPortal.Features.Webhooks;

namespace ClinicPortal.Features.Procedures;

/// <summary>lookup_procedure: facts from this clinic's knowledge base only, never an invented answer.</summary>
public sealed class LookupProcedureTool(ToolLedger ledger) : ITool
{
    public string Name => "lookup_procedure";

    public Task<string> RunAsync(ToolContext ctx, ToolArguments args, CancellationToken ct)
    {
        var query = args.Required("query");
        return ledger.AnswerOnceAsync(ctx, Name, async conn =>
        {
            var p = await ProcedureCatalog.FindAsync(conn, null, ctx.ClinicId, query);
            return p is null
                ? ToolJson.Serialize(new ProcedureNotFoundAnswer("not_found", query,
                    "This clinic has no procedure matching that. Offer a consultation or a call back from staff."))
                : ToolJson.Serialize(new ProcedureAnswer("ok",
                    new ProcedureFacts(p.Name, p.Description, p.DurationMinutes, p.Recovery, p.PriceRange, p.PreparationNotes)));
        }, ct);
    }
}

public sealed record ProcedureAnswer(string Status, ProcedureFacts Procedure);
public sealed record ProcedureFacts(string Name, string Description, int DurationMinutes, string Recovery, string PriceRange, string PreparationNotes);
public sealed record ProcedureNotFoundAnswer(string Status, string Query, string Message);
