using System.Collections.Concurrent;
using ClinicPortal.Features.Procedures;
using ClinicPortal.Infrastructure.Database;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Booking;

/// <summary>
/// One clinic's catalogue as the booking path needs it, read at one catalogue version (catalogue_versions,
/// db/migrations/0029): the clinic's settings, its active providers (by slug), every provider's hours, and time off from
/// a day ago on. Procedures are matched as callers name them, and each answer is kept under the name.
/// </summary>
public sealed class Catalogue(long version, ClinicInfo clinic, IReadOnlyList<ProviderRef> providers, IReadOnlyList<HoursRow> hours,
    IReadOnlyList<BusySpan> timeOff, Instant loadedAt)
{
    /// <summary>How many named procedures a catalogue keeps the match of (callers' wordings; it starts again when full).</summary>
    private const int MaxProcedures = 1000;

    private readonly ConcurrentDictionary<string, ProcedureRow?> _procedures = new(StringComparer.Ordinal);

    public long Version => version;
    public Instant LoadedAt => loadedAt;
    public ClinicInfo Clinic => clinic;

    /// <summary>The active provider a caller named, as BookingContext.NamedProvider matches one in SQL: by slug, id or name.</summary>
    public ProviderRef? Named(string raw)
    {
        var slug = BookingContext.Slug(raw);
        return providers.FirstOrDefault(p => p.Slug == slug || p.Id.ToString() == raw || string.Equals(p.Name, raw, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>What BookingContext.LoadAsync reads, from memory: the named provider's hours, and time off over the alternatives' window.</summary>
    public BookingContext Context(string provider, ProcedureRow? procedure, LocalDate day)
    {
        var match = Named(provider);
        var (from, to) = ScheduleStore.Window(day, BookingStore.AlternativeDays);
        return new BookingContext(clinic, match, procedure,
            match is null ? [] : hours.Where(h => h.ProviderId == match.Id).ToList(),
            match is null ? [] : timeOff.Where(t => t.ProviderId == match.Id && t.Ends > from && t.Starts < to).ToList(),
            version);
    }

    public bool TryProcedure(string query, out ProcedureRow? row) => _procedures.TryGetValue(query, out row);

    public void KeepProcedure(string query, ProcedureRow? row)
    {
        if (_procedures.Count >= MaxProcedures) _procedures.Clear();
        _procedures[query] = row;
    }

    private const string Sql = """
        select name, time_zone, min_notice_minutes, phone, country, sms_any_country, catalogue_version() from clinics where id = @clinic;
        select id, slug, name from providers p where p.active order by slug;
        select provider_id, weekday, starts_at, ends_at from working_hours;
        select provider_id, starts_at, ends_at from time_off where ends_at > now() - interval '1 day';
        """;

    /// <summary>
    /// Reads a clinic's catalogue in one round trip. The version is read first, with the clinic: a change that commits
    /// while the rest is read makes the catalogue newer than its version, which the booking's check then refuses (the other
    /// way round, it would pass a catalogue older than its version).
    /// </summary>
    public static async Task<Catalogue> LoadAsync(NpgsqlConnection conn, Guid clinic, Instant now)
    {
        await using var reader = await conn.ForClinic(clinic, Sql).ReaderAsync();
        var (info, v) = (await reader.RowsAsync(r => (ScheduleRows.Clinic(r), r.GetInt64(6)))).Single(); // ScheduleRows.ClinicSql's columns, then the version
        var providers = await reader.RowsAsync(ScheduleRows.Provider);
        var hours = await reader.RowsAsync(ScheduleRows.Hours);
        var timeOff = await reader.RowsAsync(ScheduleRows.Span);
        return new Catalogue(v, info, providers, hours, timeOff, now);
    }
}

/// <summary>
/// Every clinic's catalogue, kept in memory so that a booking's checks need no read: a voice booking that wins its slot
/// is one round trip. Nothing here is trusted to be current: a booking's batch first checks the version its catalogue was
/// read at (catalogue_is), and a change anywhere, by any instance or by hand, fails that check, so the booking reloads
/// and is checked again. An answer that refuses the caller (no such provider, outside hours) is checked again on a
/// fresh read before it is given. A catalogue is read again after MaxAge regardless, which drops time off that has passed.
/// </summary>
public sealed class CatalogueCache(IClock clock)
{
    /// <summary>SQLSTATE of catalogue_is: the catalogue changed since it was read.</summary>
    public const string Changed = "CP002";

    public static readonly Duration MaxAge = Duration.FromMinutes(10);

    private readonly ConcurrentDictionary<Guid, Catalogue> _clinics = new();

    /// <summary>
    /// The booking context from the clinic's catalogue, read on this connection when there is none, it is older than
    /// MaxAge, or fresh is asked for; the named procedure is matched in SQL the first time it is named. Kept: the
    /// catalogue was in memory, not read just now (so a refusal from it is worth checking on a fresh read).
    /// </summary>
    public async Task<(BookingContext Context, bool Kept)> ContextAsync(NpgsqlConnection conn, Guid clinic, string provider, string? procedure,
        LocalDate day, bool fresh)
    {
        var now = clock.GetCurrentInstant();
        Catalogue? catalogue = null;
        var kept = !fresh && _clinics.TryGetValue(clinic, out catalogue) && now - catalogue.LoadedAt <= MaxAge;
        if (!kept) catalogue = Keep(clinic, await Catalogue.LoadAsync(conn, clinic, now));
        ProcedureRow? row = null;
        if (procedure is not null && !catalogue!.TryProcedure(procedure, out row))
        {
            row = await ProcedureCatalog.FindAsync(conn, null, clinic, procedure);
            catalogue.KeepProcedure(procedure, row);
        }
        return (catalogue!.Context(provider, row, day), kept);
    }

    // Two bookings may read at once: the newer read is kept.
    private Catalogue Keep(Guid clinic, Catalogue read) =>
        _clinics.AddOrUpdate(clinic, read, (_, held) => held.Version > read.Version ? held : read);
}
