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
                ? ToolJson.Serialize(new { status = "not_found", query, message = "This clinic has no procedure matching that. Offer a consultation or a call back from staff." })
                : ToolJson.Serialize(new
                {
                    status = "ok",
                    procedure = new
                    {
                        name = p.Name, description = p.Description, duration_minutes = p.DurationMinutes,
                        recovery = p.Recovery, price_range = p.PriceRange, preparation_notes = p.PreparationNotes,
                    },
                });
        }, ct);
    }
}
