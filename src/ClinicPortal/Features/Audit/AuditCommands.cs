using ClinicPortal.Infrastructure.Database;

namespace ClinicPortal.Features.Audit;

/// <summary>`./clinic audit verify --clinic SLUG`: the chain's verdict, exit 0 when it holds, 3 when it is broken, 2 on bad input.</summary>
public static class AuditCommands
{
    public const string VerifyUsage = "usage: audit verify --clinic SLUG";

    public static async Task<int> VerifyAsync(string ownerConnection, IConfiguration config)
    {
        if (config["clinic"] is not { Length: > 0 } slug)
        {
            Console.Error.WriteLine(VerifyUsage);
            return 2;
        }
        await using var clinic = await Infrastructure.CommandClinic.OpenAsync(ownerConnection, slug);
        if (clinic is null) return 2;
        var v = await clinic.Conn.Command("select ok, checked, broken_seq, broken_audit_id, problem, unsealed from verify_audit_chain()", clinic.Tx)
            .FirstOrDefaultAsync(r => new ChainVerdict(r.GetBoolean(0), r.GetInt64(1), r.Value<long?>(2), r.Value<long?>(3), r.Value<string>(4), r.GetInt64(5)));
        if (v!.Ok)
        {
            Console.WriteLine($"The audit chain of {slug} holds: {v.Checked} sealed entries checked, {v.Unsealed} not sealed yet (sealed within seconds by a running portal).");
            return 0;
        }
        Console.WriteLine($"The audit chain of {slug} is BROKEN at seal {v.BrokenSeq} (audit entry {v.BrokenAuditId}): {v.Problem}. " +
                          $"{v.Checked} entries checked before it.");
        return 3;
    }
}
