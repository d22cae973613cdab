using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Audit;

/// <summary>
/// Extends each clinic's hash chain over newly committed audit rows, in batches, shortly after commits
/// (and every few seconds for rows other instances wrote). Kept off the booking transaction so the
/// booking path never queues on a clinic's chain head (docs/design.md, Hot path). After each run it rests
/// for <see cref="Rest"/>, so a busy portal seals a run of commits together rather than one per commit.
/// </summary>
public sealed class AuditSealer(CommitSignal signal, ClinicDb db, Operations.ClinicMetrics metrics, ILogger<AuditSealer> logger) : BackgroundService
{
    private const int BatchSize = 500;
    private static readonly TimeSpan Sweep = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Rest = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = signal.Subscribe();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await SealBatchAsync(stoppingToken) >= BatchSize) { }
                metrics.SealerCaughtUp();
            }
            catch (NpgsqlException e)
            {
                logger.LogWarning(e, "Audit sealing failed; retrying on the next signal");
            }
            await Task.Delay(Rest, stoppingToken); // commits meanwhile leave one signal: the next run seals them all
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(Sweep);
            try { await reader.ReadAsync(timeout.Token); }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
        }
    }

    public async Task<int> SealBatchAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("select seal_audit($1)", conn);
        cmd.Parameters.AddWithValue(BatchSize);
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
