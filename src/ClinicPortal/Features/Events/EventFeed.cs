using System.Text.Json;
using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Features.Events;

/// <summary>
/// Follows the events table for this app instance: one dedicated connection LISTENs for the wake-up,
/// then reads every event after the last id seen, on each wake-up, after a reconnect, and every few
/// seconds as a safety net (docs/design.md, Events). Identity ids are handed out before commit, so a gap in
/// what was read may still fill in: missing ids are asked for again for a short while. Consumers
/// de-duplicate by id.
/// </summary>
public sealed class EventFeed(ClinicDb db, ClinicEventBus bus, Operations.ClinicMetrics metrics, ILogger<EventFeed> logger) : BackgroundService
{
    private static readonly TimeSpan SafetyPoll = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan GapPatience = TimeSpan.FromSeconds(15);
    private const int Batch = 500;
    private const int MaxGap = 1000; // a wider jump is a burst of rollbacks or a restore, not commits in flight

    private long _lastId = -1;
    private readonly Dictionary<long, DateTime> _gaps = [];

    private sealed record Row(long Id, Guid ClinicId, string Kind, DateTime OccurredAt, string Payload);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var listener = await db.OpenAsync(stoppingToken);
                var woken = 0;
                listener.Notification += (_, _) => Interlocked.Exchange(ref woken, 1);
                await listener.Command($"listen {EventWakeup.Channel}").RunAsync(stoppingToken);
                if (_lastId < 0) _lastId = await listener.Command("select events_high_water()").ScalarAsync<long>(stoppingToken);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await ReadNewAsync(listener);
                    Interlocked.Exchange(ref woken, 0);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(SafetyPoll);
                    try { if (Volatile.Read(ref woken) == 0) await listener.WaitAsync(timeout.Token); }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Event listener lost its connection; reconnecting and catching up from event {LastId}", _lastId);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task ReadNewAsync(NpgsqlConnection conn)
    {
        while (true)
        {
            var before = _lastId;
            var now = DateTime.UtcNow;
            foreach (var expired in _gaps.Where(g => now - g.Value > GapPatience).Select(g => g.Key).ToList()) _gaps.Remove(expired);
            var rows = (await conn.Command("select id, clinic_id, kind, occurred_at, payload::text from events_since(@after, @missing, @limit)")
                .With("after", _lastId).With("missing", _gaps.Keys.ToArray()).With("limit", Batch)
                .ListAsync(r => new Row(r.GetInt64(0), r.GetGuid(1), r.GetString(2), r.GetDateTime(3), r.GetString(4)))).OrderBy(r => r.Id).ToList();
            foreach (var r in rows)
            {
                if (r.Id > _lastId)
                {
                    if (r.Id - _lastId <= MaxGap)
                        for (var missing = _lastId + 1; missing < r.Id; missing++) _gaps.TryAdd(missing, now);
                    _lastId = r.Id;
                }
                _gaps.Remove(r.Id);
                using var doc = JsonDocument.Parse(r.Payload);
                await bus.PublishAsync(new ClinicEvent(r.Id, r.ClinicId, r.Kind, DateTime.SpecifyKind(r.OccurredAt, DateTimeKind.Utc), doc.RootElement.Clone()));
                metrics.EventPublished(DateTime.SpecifyKind(r.OccurredAt, DateTimeKind.Utc));
            }
            if (rows.Count(r => r.Id > before) < Batch) return;
        }
    }
}
