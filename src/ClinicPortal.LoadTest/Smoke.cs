using Npgsql;

namespace ClinicPortal.LoadTest;

/// <summary>
/// N concurrent book_appointment calls for one slot at a running portal: each request's outcome and
/// latency, then the database's verdict (exactly one live appointment in that slot) and percentiles.
/// </summary>
public static class Smoke
{
    public static async Task<int> RunAsync(Options o)
    {
        var url = o.Get("url", "http://127.0.0.1:5000");
        var secret = o.Get("secret", "riverside-demo-secret");
        var callers = int.Parse(o.Get("callers", "20"));
        var provider = o.Get("provider", "dr-patel");
        var rng = new Random();
        var day = DateTime.UtcNow.Date.AddDays(28 + rng.Next(300));
        while (day.DayOfWeek == DayOfWeek.Sunday) day = day.AddDays(1);
        var date = o.Get("date", day.ToString("yyyy-MM-dd"));
        var time = o.Get("time", $"{9 + rng.Next(7):D2}:{rng.Next(2) * 30:D2}");

        Console.WriteLine($"{callers} callers race for {provider} on {date} at {time} ({url})");
        using var webhook = new Webhook(url, secret, callers);
        var started = DateTime.UtcNow;
        var answers = await Task.WhenAll(Enumerable.Range(0, callers).Select(i => webhook.BookAsync(provider, date, time, $"+4477014{i:D5}")));
        var elapsed = DateTime.UtcNow - started;
        for (var i = 0; i < answers.Length; i++)
            Console.WriteLine($"  caller {i + 1,3}: {answers[i].Status,-9} {answers[i].Milliseconds,8:F1} ms");

        var booked = answers.Where(a => a.Status == "booked").ToList();
        var ok = booked.Count == 1 && answers.Count(a => a.Status == "conflict") == callers - 1;
        Console.WriteLine($"HTTP verdict: {booked.Count} booked, {answers.Count(a => a.Status == "conflict")} conflict, " +
                          $"{answers.Count(a => a.Status is not ("booked" or "conflict"))} other");
        if (booked.Count == 1 && Options.OwnerConnection(o) is { } db)
        {
            var rows = await LiveAppointmentsInSlotAsync(db, booked[0].Result.GetProperty("appointment_id").GetGuid());
            Console.WriteLine($"Database verdict: {rows} live appointment(s) in that slot ({(rows == 1 ? "exactly one, as it must be" : "WRONG")})");
            ok &= rows == 1;
        }
        else if (booked.Count == 1)
            Console.WriteLine("Database verdict: skipped (give --db <owner connection string>, or run against ./clinic run's embedded database)");
        Console.WriteLine($"Latency: {Stats.Of(answers.Select(a => a.Milliseconds).ToList(), elapsed)}");
        return ok ? 0 : 1;
    }

    /// <summary>Counts live appointments overlapping the booked one, for the same provider, in its clinic.</summary>
    private static async Task<long> LiveAppointmentsInSlotAsync(string ownerConnection, Guid appointmentId)
    {
        await using var conn = new NpgsqlConnection(ownerConnection);
        await conn.OpenAsync();
        var clinics = new List<Guid>();
        await using (var cmd = new NpgsqlCommand("select id from clinics", conn))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) clinics.Add(r.GetGuid(0));
        foreach (var clinic in clinics)
        {
            await using var tx = await conn.BeginTransactionAsync();
            await using var cmd = new NpgsqlCommand("""
                select set_config('app.clinic_id', @clinic::text, true);
                select count(*) from appointments a join appointments b on b.clinic_id = a.clinic_id and b.provider_id = a.provider_id
                 where a.id = @appointment and b.status <> 'cancelled' and tstzrange(b.starts_at, b.ends_at) && tstzrange(a.starts_at, a.ends_at);
                """, conn, tx);
            cmd.Parameters.AddWithValue("clinic", clinic.ToString());
            cmd.Parameters.AddWithValue("appointment", appointmentId);
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.NextResultAsync();
            await reader.ReadAsync();
            var n = reader.GetInt64(0);
            if (n > 0) return n;
        }
        return 0;
    }
}
