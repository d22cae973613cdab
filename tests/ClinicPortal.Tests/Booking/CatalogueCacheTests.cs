using ClinicPortal.Tests.Support;
using Npgsql;

namespace ClinicPortal.Tests.Booking;

/// <summary>
/// Bookings are checked against each clinic's catalogue kept in memory (CatalogueCache). Every change below is made by
/// hand in SQL, as another instance or an operator would make it, never through this portal: the portal learns of it
/// only from the catalogue's version, which the booking's own batch checks.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class CatalogueCacheTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Time_off_added_elsewhere_is_honoured_by_the_next_booking_and_nothing_is_written_into_it()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Wednesday);
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "09:00", phone: Phones.Unique())).GetProperty("status").GetString());

        await clinic.AddTimeOffInSqlAsync("dr-a", date, "11:00", "12:00");
        var refused = await clinic.BookAsync("dr-a", date, "11:00", phone: Phones.Unique());

        Assert.Equal("invalid", refused.GetProperty("status").GetString());
        Assert.Equal("the provider is away at that time", refused.GetProperty("reason").GetString());
        Assert.Equal(1, await clinic.CountAsync("appointments"));
    }

    [Fact]
    public async Task A_provider_added_elsewhere_can_be_booked_at_once_and_one_taken_off_cannot()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Thursday);
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "09:00", phone: Phones.Unique())).GetProperty("status").GetString());

        await using (var su = portal.Superuser())
            await su.ExecAsync("""
                insert into providers (clinic_id, slug, name) values (@Id, 'dr-c', 'Dr Cy C');
                insert into working_hours (clinic_id, provider_id, weekday, starts_at, ends_at)
                select @Id, id, d, '08:00', '18:00' from providers, generate_series(1, 7) d where clinic_id = @Id and slug = 'dr-c';
                update providers set active = false where clinic_id = @Id and slug = 'dr-b';
                """, new { clinic.Id });

        Assert.Equal("booked", (await clinic.BookAsync("dr-c", date, "09:00", phone: Phones.Unique())).GetProperty("status").GetString());
        var refused = await clinic.BookAsync("dr-b", date, "09:00", phone: Phones.Unique());
        Assert.Equal("invalid", refused.GetProperty("status").GetString());
        Assert.Equal(2, await clinic.CountAsync("appointments"));
    }

    [Fact]
    public async Task Hours_shortened_elsewhere_refuse_the_next_booking_outside_them()
    {
        var clinic = await portal.CreateClinicAsync();
        var date = Dates.Upcoming(DayOfWeek.Friday);
        Assert.Equal("booked", (await clinic.BookAsync("dr-a", date, "09:00", phone: Phones.Unique())).GetProperty("status").GetString());

        await using (var su = portal.Superuser())
            await su.ExecAsync("update working_hours set ends_at = '12:00' where clinic_id = @Id", new { clinic.Id });
        var refused = await clinic.BookAsync("dr-a", date, "15:00", phone: Phones.Unique());

        Assert.Equal("invalid", refused.GetProperty("status").GetString());
        Assert.Equal("that time is outside the provider's working hours", refused.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Every_change_to_a_clinics_catalogue_counts_its_version_and_only_its_own()
    {
        var clinic = await portal.CreateClinicAsync();
        var other = await portal.CreateClinicAsync();
        await using var su = portal.Superuser();
        Task<long> Version(Guid id) => su.ScalarAsync<long>("select coalesce((select version from catalogue_versions where clinic_id = @id), 0)", new { id });
        var otherBefore = await Version(other.Id);

        foreach (var change in new[]
        {
            "update clinics set min_notice_minutes = 30 where id = @Id",
            "insert into providers (clinic_id, slug, name) values (@Id, 'dr-z', 'Dr Zed')",
            "update providers set name = 'Dr Zed Z' where clinic_id = @Id and slug = 'dr-z'",
            "insert into working_hours (clinic_id, provider_id, weekday, starts_at, ends_at) select @Id, id, 1, '09:00', '10:00' from providers where clinic_id = @Id and slug = 'dr-z'",
            "update working_hours set ends_at = '11:00' where clinic_id = @Id and provider_id = (select id from providers where clinic_id = @Id and slug = 'dr-z')",
            "insert into time_off (clinic_id, provider_id, starts_at, ends_at) select @Id, id, now() + interval '1 day', now() + interval '2 days' from providers where clinic_id = @Id and slug = 'dr-z'",
            "delete from time_off where clinic_id = @Id",
            "update procedures set duration_minutes = duration_minutes + 5 where clinic_id = @Id and name = 'Consultation'",
            "delete from working_hours where clinic_id = @Id and provider_id = (select id from providers where clinic_id = @Id and slug = 'dr-z')",
        })
        {
            var before = await Version(clinic.Id);
            await su.ExecAsync(change, new { clinic.Id });
            Assert.True(await Version(clinic.Id) > before, "no count for: " + change);
        }
        Assert.Equal(otherBefore, await Version(other.Id));
    }

    [Fact]
    public async Task A_batch_checked_against_an_older_catalogue_is_stopped_before_it_writes()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var app = new NpgsqlConnection(portal.Database.AppConnectionString);
        await app.OpenAsync();
        await app.ExecAsync("select set_config('app.clinic_id', @Id::text, false)", new { clinic.Id }); // the runtime role, in the clinic
        var version = await app.ScalarAsync<long>("select catalogue_version()");
        await app.ExecAsync("select catalogue_is(@version)", new { version }); // current: passes

        await using (var su = portal.Superuser())
            await su.ExecAsync("update providers set name = 'Dr Ada Renamed' where clinic_id = @Id and slug = 'dr-a'", new { clinic.Id });
        var stale = await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync("""
            select catalogue_is(@version);
            insert into providers (clinic_id, slug, name) values (@Id, 'dr-never', 'Dr Never');
            """, new { clinic.Id, version }));

        Assert.Equal("CP002", stale.SqlState);
        Assert.Equal(0, await clinic.CountAsync("providers", "slug = 'dr-never'"));
    }
}
