using ClinicPortal.Infrastructure.Database;
using Dapper;

namespace ClinicPortal.Features.Audit;

public sealed record ChainVerdict(bool Ok, long Checked, long? BrokenSeq, long? BrokenAuditId, string? Problem, long Unsealed);

/// <summary>Verifies a clinic's audit chain (db/migrations/0003_audit.sql, verify_audit_chain).</summary>
public sealed class AuditChain(ClinicDb db)
{
    public async Task<ChainVerdict> VerifyAsync(Guid clinic, CancellationToken ct = default)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var grid = await conn.QueryForClinicAsync("""
            select ok, checked, broken_seq as BrokenSeq, broken_audit_id as BrokenAuditId, problem, unsealed from verify_audit_chain();
            """, new { clinic });
        return await grid.ReadSingleAsync<ChainVerdict>();
    }
}
