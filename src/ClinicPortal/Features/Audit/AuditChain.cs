using ClinicPortal.Infrastructure.Database;
using Microsoft.EntityFrameworkCore;

namespace ClinicPortal.Features.Audit;

public sealed record ChainVerdict(bool Ok, long Checked, long? BrokenSeq, long? BrokenAuditId, string? Problem, long Unsealed);

/// <summary>Verifies a clinic's audit chain (db/migrations/0003_audit.sql, verify_audit_chain).</summary>
public sealed class AuditChain(ClinicDb db)
{
    public Task<ChainVerdict> VerifyAsync(Guid clinic, CancellationToken ct = default) => db.ReadDataAsync(clinic, async data =>
        (await data.Database.SqlQuery<ChainVerdict>($"select ok, checked, broken_seq, broken_audit_id, problem, unsealed from verify_audit_chain()")
            .ToListAsync(ct)).Single(), ct);
}
