using ClinicPortal.Shared;
using ClinicPortal.Features.Procedures;
using ClinicPortal.Infrastructure.Database;
using NodaTime;
using Npgsql;

namespace ClinicPortal.Features.Booking;

public sealed record ClinicInfo(string Name, string TimeZone, int MinNoticeMinutes, string? Phone, string Country, bool SmsAnyCountry = false)
{
    public DateTimeZone Zone => ClinicTime.Zone(TimeZone);
    public Instant EarliestStart(Instant now) => now + Duration.FromMinutes(MinNoticeMinutes);
}

/// <summary>What the slot finder needs for one clinic over a window: hours, time off, appointments.</summary>
public sealed record Schedule(ClinicInfo Clinic, IReadOnlyList<ProviderRef> Providers, IReadOnlyList<HoursRow> Hours, IReadOnlyList<BusySpan> Busy);

/// <summary>
/// The schedule's rows read by position: each reader matches the column order of the SQL that uses it
/// (ClinicSql here; the provider, hours and span selects in ScheduleStore, BookingContext and AppointmentLookup).
/// </summary>
public static class ScheduleRows
{
    public const string ClinicSql = "select name, time_zone, min_notice_minutes, phone, country, sms_any_country from clinics where id = @clinic;";

    public static ClinicInfo Clinic(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.Value<string>(3), r.GetString(4), r.GetBoolean(5));

    /// <summary>id, slug, name.</summary>
    public static ProviderRef Provider(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2));

    /// <summary>provider_id, weekday, starts_at, ends_at (time → TimeOnly).</summary>
    public static HoursRow Hours(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetInt16(1),
        LocalTime.FromTimeOnly(r.GetFieldValue<TimeOnly>(2)), LocalTime.FromTimeOnly(r.GetFieldValue<TimeOnly>(3)));

    /// <summary>provider_id, starts_at, ends_at (timestamptz → UTC DateTime).</summary>
    public static BusySpan Span(NpgsqlDataReader r) => new(r.GetGuid(0), ToInstant(r.GetDateTime(1)), ToInstant(r.GetDateTime(2)));

    public static Instant ToInstant(DateTime utc) => Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}

public static class ScheduleStore
{
    // Appointments overlapping the window come from appointments_upcoming (clinic, provider, blocked_until; 0025): the
    // clinic's past is never read. Plain comparisons, not the range overlap (&&) of the no-overlap constraint: under
    // row-level security PostgreSQL only lets leakproof operators into an index scan, and && is not one. One text per way
    // of choosing providers (all, by id, by the name a caller said): an "is null or" test would keep the index out.
    // BookingContext reads the same without appointments (the exclusion constraint decides a booking's conflicts).
    internal static string LoadSql(string providers, string provider, bool appointments = true)
    {
        var spans = $"select provider_id, starts_at, ends_at from time_off where {provider} and ends_at > @from and starts_at < @to";
        if (appointments)
            spans += $"""

                union all
                select provider_id, starts_at, blocked_until from appointments
                 where status <> 'cancelled' and {provider}
                   and blocked_until > @from and starts_at < @to
                """;
        return ScheduleRows.ClinicSql + $"""
            select id, slug, name from providers p where p.active and {providers} order by slug;
            select provider_id, weekday, starts_at, ends_at from working_hours where {provider};
            {spans};

            """;
    }

    private static readonly string EveryProviderSql = LoadSql("true", "true"), OneProviderSql = LoadSql("p.id = @provider", "provider_id = @provider");
    private static readonly string NamedProviderSql = LoadSql($"p.id = {BookingContext.NamedProvider}", $"provider_id = {BookingContext.NamedProvider}");

    /// <summary>Loads in one round trip; provider null means every active provider of the clinic.</summary>
    public static async Task<Schedule> LoadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid clinic, Guid? provider,
        Instant from, Instant to)
    {
        await using var cmd = conn.ForClinic(clinic, provider is null ? EveryProviderSql : OneProviderSql, tx)
            .With("from", from.ToDateTimeUtc()).With("to", to.ToDateTimeUtc());
        if (provider is { } id) cmd.With("provider", id);
        await using var reader = await cmd.ReaderAsync();
        return await ReadAsync(reader);
    }

    /// <summary>
    /// What a caller's question needs, in one round trip: the schedule of the provider they named (none listed when no
    /// active provider matches; every active one when they named none) and the procedure they named (null when none
    /// matches, or none was named).
    /// </summary>
    public static async Task<(Schedule Schedule, ProcedureRow? Procedure)> LoadForCallerAsync(NpgsqlConnection conn, Guid clinic,
        string? provider, string? procedure, Instant from, Instant to)
    {
        var sql = (provider is null ? EveryProviderSql : NamedProviderSql) + (procedure is null ? "" : ProcedureCatalog.MatchSql);
        await using var cmd = conn.ForClinic(clinic, sql).With("from", from.ToDateTimeUtc()).With("to", to.ToDateTimeUtc());
        if (provider is not null) cmd.With("raw", provider).With("slug", BookingContext.Slug(provider));
        if (procedure is not null) cmd.With("query", procedure);
        await using var reader = await cmd.ReaderAsync();
        var schedule = await ReadAsync(reader);
        return (schedule, procedure is null ? null : (await reader.RowsAsync(ProcedureCatalog.Row)).SingleOrDefault());
    }

    private static async Task<Schedule> ReadAsync(NpgsqlDataReader reader)
    {
        var info = (await reader.RowsAsync(ScheduleRows.Clinic)).Single();
        var providers = await reader.RowsAsync(ScheduleRows.Provider);
        var hours = await reader.RowsAsync(ScheduleRows.Hours);
        var busy = await reader.RowsAsync(ScheduleRows.Span);
        return new Schedule(info, providers, hours, busy);
    }

    /// <summary>The window of instants that local days [from, from + days) can touch in any zone.</summary>
    public static (Instant From, Instant To) Window(LocalDate from, int days) =>
        (from.AtMidnight().InUtc().ToInstant() - Duration.FromHours(15),
         from.PlusDays(days).AtMidnight().InUtc().ToInstant() + Duration.FromHours(15));
}
