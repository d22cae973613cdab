using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Events;

/// <summary>
/// Tells every listening app instance that new rows are in the events table: one NOTIFY after commit,
/// outside the writing transaction, at most one per interval per instance (docs/design.md: a NOTIFY inside
/// each booking transaction serialises commits). The payload is empty; the table carries the data.
/// </summary>
public sealed class EventWakeup(CommitSignal signal, ClinicDb db, ILogger<EventWakeup> logger) : BackgroundService
{
    public const string Channel = "clinic_events";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = signal.Subscribe();
        while (await reader.WaitToReadAsync(stoppingToken))
        {
            reader.TryRead(out _);
            try
            {
                await using var conn = await db.OpenAsync(stoppingToken);
                await using var cmd = new NpgsqlCommand($"notify {Channel}", conn);
                await cmd.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (NpgsqlException e)
            {
                // Listeners also poll the table on a slow timer, so a lost wake-up delays, never loses.
                logger.LogWarning(e, "Could not send the events wake-up");
            }
            await Task.Delay(Interval, stoppingToken);
        }
    }
}
