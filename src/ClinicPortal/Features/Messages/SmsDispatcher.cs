using System.Diagnostics;
using System.Threading.Channels;
using ClinicPortal.Features.Events;
using ClinicPortal.Infrastructure.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ClinicPortal.Features.Messages;

/// <summary>Dispatcher settings (section "Sms").</summary>
public sealed class SmsOptions
{
    /// <summary>Attempts before a transient failure becomes a failure staff see.</summary>
    public int MaxAttempts { get; set; } = 5;
    /// <summary>The first retry waits this long; each later one twice as long (with jitter), at most 5 minutes.</summary>
    public double RetryBaseSeconds { get; set; } = 2;
    /// <summary>
    /// How long a claimed message belongs to its sender; after that another instance reconciles and retries.
    /// Must exceed twice Twilio:TimeoutSeconds, or nothing is ever sent (checked at start).
    /// </summary>
    public int LeaseSeconds { get; set; } = 60;
    public int Concurrency { get; set; } = 8;
    public int BatchSize { get; set; } = 32;
    /// <summary>The longest sleep between looks at the outbox when nothing signals (messages of other instances, retries).</summary>
    public double PollSeconds { get; set; } = 1;
}

/// <summary>
/// Sends the outbox. Woken at once by a commit on this instance (the call's end), otherwise when the
/// next retry falls due or every PollSeconds. Each message is claimed with a lease and an attempt
/// number; its outcome is recorded only if that attempt still holds it. A message whose earlier attempt
/// may have reached Twilio is looked up there by its ref before any new send (see 0008_messages.sql).
/// </summary>
public sealed class SmsDispatcher(ClinicDb db, CommitSignal committed, IServiceScopeFactory scopes, IOptions<TwilioOptions> twilio,
    IOptions<SmsOptions> options, SmsTexts texts, LinkTokens links, Privacy.DataKeys keys, Operations.ClinicMetrics metrics, TimeProvider time,
    ILogger<SmsDispatcher> log) : BackgroundService
{
    private SmsOptions O => options.Value;

    /// <summary>
    /// After a run that handled texts while more commits came, the dispatcher rests this long before it looks again: the
    /// texts that commits queue meanwhile go as one batch (one claim, one record, one seal) rather than one run per booking.
    /// A lone text on a quiet portal goes at once.
    /// </summary>
    public static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(100);

    public sealed record Claimed(Guid ClinicId, Guid Id, string ToPhone, string Body, string Ref, int Attempts, bool OptedOut, string? CallId);

    /// <summary>What one attempt came to: the message's new status and what to record with it.</summary>
    private sealed record Outcome(string Status, string? Sid = null, string? TwilioStatus = null, int? Code = null, string? Error = null,
        DateTime? RetryAt = null, bool OptOut = false);

    /// <summary>How often the dispatcher seals the bodies of done-with texts still in clear (SealLeftoversAsync).</summary>
    public static readonly TimeSpan LeftoverSweep = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var swept = Stopwatch.StartNew();
        if (O.LeaseSeconds <= twilio.Value.TimeoutSeconds * 2)
            throw new InvalidOperationException($"Sms:LeaseSeconds ({O.LeaseSeconds}) must exceed twice Twilio:TimeoutSeconds ({twilio.Value.TimeoutSeconds}).");
        var wake = committed.Subscribe();
        while (!stop.IsCancellationRequested)
        {
            var handled = 0;
            TimeSpan sleep;
            try
            {
                handled = await DispatchDueAsync(stop);
                if (swept.Elapsed >= LeftoverSweep)
                {
                    swept.Restart();
                    await SealLeftoversAsync(stop);
                }
                sleep = await UntilNextDueAsync(stop);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                log.LogWarning(e, "Text message dispatch failed; trying again shortly");
                sleep = TimeSpan.FromSeconds(O.PollSeconds);
            }
            if (handled >= O.BatchSize) continue; // more are waiting
            if (handled > 0 && wake.TryPeek(out _)) await Task.Delay(Gather, stop); // commits came meanwhile: let their texts gather
            if (sleep <= TimeSpan.Zero) continue;
            using var nap = CancellationTokenSource.CreateLinkedTokenSource(stop);
            nap.CancelAfter(sleep);
            try
            {
                await wake.WaitToReadAsync(nap.Token);
                wake.TryRead(out _);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested) { }
        }
    }

    /// <summary>Claims and handles one batch of due messages; returns how many were claimed.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken ct)
    {
        List<Claimed> claimed;
        await using (var conn = await db.OpenAsync(ct))
            claimed = await conn.Command("select clinic_id, id, to_phone, body, ref, attempts, opted_out, call_id from sms_claim(@limit, @lease)")
                .With("limit", O.BatchSize).With("lease", O.LeaseSeconds)
                .ListAsync(r => new Claimed(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5), r.GetBoolean(6), r.Value<string>(7)), ct);
        if (claimed.Count == 0) return 0;
        foreach (var _ in claimed.Where(m => m.Attempts == 1)) metrics.Text("queued"); // counted once, at its first attempt
        var leaseTaken = Stopwatch.StartNew();
        // Sends run in parallel; their outcomes are recorded in batches as they finish (RecordAllAsync), on one connection.
        var done = Channel.CreateUnbounded<(Claimed, Outcome)>(new UnboundedChannelOptions { SingleReader = true });
        var recording = RecordAllAsync(done.Reader, ct);
        try
        {
            await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = O.Concurrency, CancellationToken = ct },
                async (m, token) =>
                {
                    if (await DecideAsync(m, leaseTaken, token) is { } outcome) done.Writer.TryWrite((m, outcome));
                });
        }
        finally
        {
            done.Writer.Complete();
            await recording;
        }
        return claimed.Count;
    }

    /// <summary>
    /// Seals the bodies of done-with texts still in clear (sms_in_clear, 0028): those held back when they were queued (over
    /// the daily cap, or to a number that opted out) and any whose sealing failed when they were recorded. Returns how many.
    /// </summary>
    public async Task<int> SealLeftoversAsync(CancellationToken ct)
    {
        if (!keys.CanSeal) return 0;
        List<(Guid Clinic, TextBodies.Text Text)> left;
        await using (var conn = await db.OpenAsync(ct))
            left = await conn.Command("select clinic_id, id, to_phone, call_id, body from sms_in_clear(@limit)").With("limit", 500)
                .ListAsync(r => (r.GetGuid(0), new TextBodies.Text(r.GetGuid(1), new Privacy.TextRecipient(r.Value<string>(2), r.Value<string>(3)),
                    r.GetString(4))), ct);
        var stored = 0;
        foreach (var clinic in left.GroupBy(x => x.Clinic, x => x.Text))
        {
            try
            {
                stored += await db.WriteAsync(clinic.Key, async (conn, tx) =>
                    await TextBodies.StoreAsync(conn, tx, await TextBodies.SealAsync(conn, tx, keys, clinic.Key, clinic.ToList(), ct), ct), ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                log.LogWarning(e, "The bodies of {Count} text messages could not be sealed; the next sweep tries again", clinic.Count());
            }
        }
        return stored;
    }

    private async Task<TimeSpan> UntilNextDueAsync(CancellationToken ct)
    {
        await using var conn = await db.OpenAsync(ct);
        var next = await conn.Command("select sms_next_due()").ScalarAsync<DateTime?>(ct);
        var poll = TimeSpan.FromSeconds(O.PollSeconds);
        if (next is null) return poll;
        var wait = next.Value.ToUniversalTime() - time.GetUtcNow().UtcDateTime;
        return wait < poll ? wait : poll;
    }

    /// <summary>What became of one claimed message, or null when it is left to its lease (too late to send, or it failed).</summary>
    private async Task<Outcome?> DecideAsync(Claimed m, Stopwatch leaseTaken, CancellationToken ct)
    {
        try
        {
            // A send must finish well inside the lease, or another instance could reclaim the message mid-send.
            // (Up to two requests per attempt: the look-up of an earlier attempt, then the send.)
            var latestStart = TimeSpan.FromSeconds(O.LeaseSeconds - twilio.Value.TimeoutSeconds * 2);
            if (leaseTaken.Elapsed > latestStart) return null; // left to expire: the next claim reconciles first

            return m.OptedOut ? new Outcome("opted_out", Error: "The number opted out (STOP) before this was sent.")
                : !twilio.Value.Configured ? new Outcome("not_sent", Error: "Twilio is not configured (Twilio:AccountSid, Twilio:AuthToken, Twilio:FromNumber).")
                : await SendAsync(m, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Nothing recorded: the lease runs out and the message is reconciled and retried.
            log.LogWarning(e, "Text message {MessageId} could not be handled; it is retried after its lease", m.Id);
            return null;
        }
    }

    private async Task<Outcome> SendAsync(Claimed m, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var client = scope.ServiceProvider.GetRequiredService<TwilioClient>();
        // A confirmation's link token is made here, from the ref (the stored body has {token}); the same on every attempt.
        var body = await links.RenderAsync(m.Body, m.Ref, ct);
        var marker = body == m.Body ? m.Ref : await links.TokenAsync(m.Ref, ct); // what the sent text carries that identifies it
        if (m.Attempts > 1)
        {
            // An earlier attempt may have been accepted without our hearing of it: ask Twilio first.
            try
            {
                if (await client.FindAsync(m.ToPhone, marker, ct) is { } earlier) return new Outcome("sent", earlier.Sid, earlier.Status);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                return RetryOrGiveUp(m, null, "Could not check Twilio for an earlier attempt: " + e.Message);
            }
            if (m.Attempts > O.MaxAttempts) return new Outcome("failed", Error: $"Gave up after {O.MaxAttempts} attempts.");
        }
        var callback = $"{texts.PublicBaseUrl}/api/twilio/status?c={m.ClinicId}&m={m.Id}";
        return await client.SendAsync(m.ToPhone, body, callback, ct) switch
        {
            TwilioSend.Accepted a => new Outcome("sent", a.Sid, a.Status),
            TwilioSend.Refused { Code: 21610 } r => new Outcome("failed", Code: r.Code, Error: r.Message, OptOut: true),
            TwilioSend.Refused { Transient: true } r => RetryOrGiveUp(m, r.Code, r.Message),
            TwilioSend.Refused r => new Outcome("failed", Code: r.Code, Error: r.Message),
            TwilioSend.NoAnswer n => RetryOrGiveUp(m, null, n.Reason),
            _ => throw new InvalidOperationException("unknown Twilio answer"),
        };
    }

    private Outcome RetryOrGiveUp(Claimed m, int? code, string error)
    {
        if (m.Attempts >= O.MaxAttempts) return new Outcome("failed", Code: code, Error: $"{error} (gave up after {O.MaxAttempts} attempts)");
        var seconds = Math.Min(300, O.RetryBaseSeconds * Math.Pow(2, m.Attempts - 1)) * (0.8 + 0.4 * Random.Shared.NextDouble());
        return new Outcome("queued", Code: code, Error: error, RetryAt: time.GetUtcNow().UtcDateTime.AddSeconds(seconds));
    }

    /// <summary>
    /// Records outcomes as sends finish: whatever has finished while the previous batch was being recorded goes in the next
    /// one. A lone text is recorded at once; under load a batch costs what one text did (issue 13).
    /// </summary>
    private async Task RecordAllAsync(ChannelReader<(Claimed, Outcome)> done, CancellationToken ct)
    {
        while (await done.WaitToReadAsync(CancellationToken.None))
        {
            var batch = new List<(Claimed Message, Outcome Outcome)>();
            while (done.TryRead(out var finished)) batch.Add(finished);
            foreach (var clinic in batch.GroupBy(x => x.Message.ClinicId))
            {
                try
                {
                    await RecordAsync(clinic.Key, clinic.ToList(), ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // Nothing recorded: the leases run out and the messages are reconciled (looked up at Twilio) and retried.
                    log.LogWarning(e, "The outcomes of {Count} text messages could not be recorded; they are retried after their lease", clinic.Count());
                }
            }
        }
    }

    /// <summary>
    /// One clinic's outcomes in one transaction: the bodies of those that are done with are sealed under their recipients'
    /// keys, then one statement records each outcome with its sealed body, if its attempt still holds the message, with the
    /// texts' events and audit rows (record_sms_attempts, 0032). Whatever fails rolls back both: the texts are reconciled and
    /// recorded after their lease.
    /// </summary>
    private async Task RecordAsync(Guid clinic, List<(Claimed Message, Outcome Outcome)> batch, CancellationToken ct)
    {
        var doneWith = batch.Where(x => x.Outcome.Status is not "queued") // a retry needs its body
            .Select(x => new TextBodies.Text(x.Message.Id, new Privacy.TextRecipient(x.Message.ToPhone, x.Message.CallId), x.Message.Body)).ToList();
        List<(Guid Id, TimeSpan Waited)> recorded; // the texts whose attempt still held them; the others are another attempt's now
        try
        {
            recorded = await RetryOnceAsync(() => db.WriteAsync(clinic, async (conn, tx) =>
                await Record(conn, tx, batch, await TextBodies.SealAsync(conn, tx, keys, clinic, doneWith, ct)).ListAsync(Read, ct), ct));
        }
        catch (Exception e) when (e is not NpgsqlException && !ct.IsCancellationRequested)
        {
            // Sealing itself failed (a key that cannot be unwrapped, say): the outcomes are recorded, the bodies stay in clear.
            log.LogWarning(e, "The bodies of {Count} text messages could not be sealed; they stay in clear", doneWith.Count);
            recorded = await db.WriteAsync(clinic, (conn, tx) => Record(conn, tx, batch, []).ListAsync(Read, ct), ct);
        }
        var held = recorded.ToDictionary(r => r.Id, r => r.Waited);
        foreach (var (m, o) in batch.Where(x => held.ContainsKey(x.Message.Id)))
        {
            if (o.Status is "failed") log.LogWarning("Text message {MessageId} failed: {Code} {Error}", m.Id, o.Code, o.Error);
            metrics.Text(o.Status == "queued" ? "retrying" : o.Status);
            if (o.Status is "sent") metrics.TextAccepted(held[m.Id]); // how long it waited for Twilio
        }

        static (Guid Id, TimeSpan Waited) Read(NpgsqlDataReader r) => (r.GetGuid(0), r.GetFieldValue<TimeSpan>(1));
    }

    private static NpgsqlCommand Record(NpgsqlConnection conn, NpgsqlTransaction tx, List<(Claimed Message, Outcome Outcome)> batch,
        Dictionary<Guid, (byte[] Sealed, Guid Key)> seals) =>
        conn.Command("""
            select id, waited from record_sms_attempts(@ids, @attempts, @statuses, @sids, @twilioStatuses, @codes, @errors, @retryAts,
                                                       @optOuts, @sealed, @keys)
            """, tx)
            .With("ids", batch.Select(x => x.Message.Id).ToArray()).With("attempts", batch.Select(x => x.Message.Attempts).ToArray())
            .With("statuses", batch.Select(x => x.Outcome.Status).ToArray()).With("sids", batch.Select(x => x.Outcome.Sid).ToArray())
            .With("twilioStatuses", batch.Select(x => x.Outcome.TwilioStatus).ToArray()).With("codes", batch.Select(x => x.Outcome.Code).ToArray())
            .With("errors", batch.Select(x => x.Outcome.Error).ToArray()).With("retryAts", batch.Select(x => x.Outcome.RetryAt).ToArray())
            .With("optOuts", batch.Select(x => x.Outcome.OptOut).ToArray())
            .With("sealed", batch.Select(x => seals.TryGetValue(x.Message.Id, out var s) ? s.Sealed : null).ToArray())
            .With("keys", batch.Select(x => seals.TryGetValue(x.Message.Id, out var s) ? s.Key : (Guid?)null).ToArray());

    /// <summary>A deadlock or serialization failure (another transaction held a key or text this one needed) is tried once more at once.</summary>
    private static async Task<T> RetryOnceAsync<T>(Func<Task<T>> work)
    {
        try { return await work(); }
        catch (PostgresException e) when (e.IsTransient) { return await work(); }
    }
}
