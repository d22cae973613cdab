using ClinicPortal.Features.Privacy;
using Xunit.Abstractions;

namespace ClinicPortal.Tests.Privacy;

/// <summary>
/// The redactor measured on a labelled table of what callers say (issue 11): lines carrying personal data, each with the
/// pieces that must not survive, and look-alike lines (times, prices, dates, codes, durations, clinic talk) that must
/// come out unchanged. Recall must be at least 99% of the pieces, and at least 97% of look-alikes must be kept.
/// </summary>
public sealed class RedactionTableTests(ITestOutputHelper output)
{
    /// <summary>A line and the personal data in it ("|" between pieces).</summary>
    public static readonly (string Line, string Pii)[] Personal =
    [
        // UK mobiles and landlines, with and without brackets, spaces, dashes and country codes
        ("You can reach me on 07700 900123.", "07700 900123"),
        ("my mobile is 07700900456", "07700900456"),
        ("call me back on 07700-900-789 please", "07700-900-789"),
        ("it's +44 7700 900321", "+44 7700 900321"),
        ("the number is +447700900654", "+447700900654"),
        ("try 0044 7700 900987 if I'm out", "0044 7700 900987"),
        ("my landline is (020) 7946 0018", "(020) 7946 0018"),
        ("home number (0117) 496 0123, after six", "(0117) 496 0123"),
        ("office (0161) 496-0000", "(0161) 496-0000"),
        ("ring 020 7946 0991 and ask for me", "020 7946 0991"),
        ("it's 01632 960 001", "01632 960 001"),
        ("+44 (0) 20 7946 0123 is the office", "+44 (0) 20 7946 0123"),
        ("+44 (0)161 496 0456", "+44 (0)161 496 0456"),
        ("my work line: 0113 496 0789 ext 12", "0113 496 0789"),
        ("07700 900 111 or 07700 900 222", "07700 900 111|07700 900 222"),
        ("the number's 0 7 7 0 0 9 0 0 3 3 3", "0 7 7 0 0 9 0 0 3 3 3"),
        ("(01632) 960123", "(01632) 960123"),
        ("number: 02079460555.", "02079460555"),
        ("tel. 0300 123 4567", "0300 123 4567"),
        ("freephone 0800 123 4567", "0800 123 4567"),
        // US/NANP however written
        ("my cell is (415) 555-0132", "(415) 555-0132"),
        ("call 415-555-0198 any time", "415-555-0198"),
        ("it's 415.555.0177", "415.555.0177"),
        ("1-800-555-0199 is their helpline", "1-800-555-0199"),
        ("+1 (212) 555-0147", "+1 (212) 555-0147"),
        ("I'm on 212 555 0163 in New York", "212 555 0163"),
        ("+1 646 555 0101", "+1 646 555 0101"),
        ("my number is 2125550123", "2125550123"),
        ("reach me at 1 (310) 555-0111", "(310) 555-0111"),
        ("US number +1-202-555-0180", "+1-202-555-0180"),
        // international
        ("Paris +33 1 23 45 67 89", "+33 1 23 45 67 89"),
        ("my French mobile +33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("Berlin +49 30 901820", "+49 30 901820"),
        ("Dublin +353 1 234 5678", "+353 1 234 5678"),
        ("Sydney +61 2 9876 5432", "+61 2 9876 5432"),
        ("in Spain: +34 612 345 678", "+34 612 345 678"),
        ("0033 6 12 34 56 78 from abroad", "0033 6 12 34 56 78"),
        ("+91 98765 43210", "+91 98765 43210"),
        // read out in words, digit by digit
        ("it's oh seven seven double oh, nine double oh, one two three", "oh seven seven double oh, nine double oh, one two three"),
        ("zero two zero seven nine four six zero zero one eight", "zero two zero seven nine four six zero zero one eight"),
        ("my number is seven seven zero zero nine zero zero four five six", "seven seven zero zero nine zero zero four five six"),
        ("oh one one seven, four nine six, oh one two three", "oh one one seven, four nine six, oh one two three"),
        ("card is four one one one, one one one one, one one one one, one one one one", "four one one one, one one one one, one one one one, one one one one"),
        ("five five five five five five five five five five five five four four four four", "five five five five five five five five five five five five four four four four"),
        ("oh seven seven triple oh, nine double one two three", "oh seven seven triple oh, nine double one two three"),
        ("07700 nine double oh one two three", "07700 nine double oh one two three"),
        // emails, written and spelled out
        ("email me at jane.doe@example.co.uk", "jane.doe@example.co.uk"),
        ("it's sam_smith85@gmail.com", "sam_smith85@gmail.com"),
        ("my email is PRIYA.PATEL@OUTLOOK.COM", "PRIYA.PATEL@OUTLOOK.COM"),
        ("john dot smith at gmail dot com", "john dot smith"),
        ("jane underscore doe at outlook dot co dot uk", "jane underscore doe"),
        ("it's sarah at example dot org", "sarah at example dot org"),
        ("j smith 85 at yahoo dot com", "smith 85 at yahoo"),
        ("my email's tom dash jones at hotmail dot co dot uk", "tom dash jones"),
        ("send it to aisha dot khan at nhs dot net", "aisha dot khan"),
        ("m dot brown at btinternet dot com thanks", "brown at btinternet"),
        // cards, NHS, NI, SSN, dates of birth
        ("card 4111 1111 1111 1111 exp 12/27", "4111 1111 1111 1111"),
        ("my card number is 5555-5555-5555-4444", "5555-5555-5555-4444"),
        ("amex 378282246310005", "378282246310005"),
        ("NHS number 401 023 2137", "401 023 2137"),
        ("nhs 4010232137", "4010232137"),
        ("NI number AB 12 34 56 C", "AB 12 34 56 C"),
        ("national insurance JG103759A", "JG103759A"),
        ("ni ab123456c", "ab123456c"),
        ("my NI is NP 123456 D", "NP 123456 D"),
        ("NI: CE-10-37-59-B", "CE-10-37-59-B"),
        ("SSN 123-45-6789", "123-45-6789"),
        ("DOB: 14/03/1985", "14/03/1985"),
        ("I was born on 3 March 1990", "3 March 1990"),
        ("date of birth is 1985-03-14", "1985-03-14"),
        ("my date of birth: March 3rd, 1990", "March 3rd, 1990"),
        ("d.o.b. 01.02.1979", "01.02.1979"),
        // names the caller gives
        ("Hi, my name is Sarah Connor and I'd like to book", "Sarah|Connor"),
        ("my name's Priya, I called yesterday", "Priya"),
        ("Hello, this is Tom Hardy calling about botox", "Tom|Hardy"),
        ("Hi this is Aisha Khan", "Aisha|Khan"),
        ("my name is sarah jones.", "sarah|jones"),
        ("I'm Bethany Clarke, I have an appointment", "Bethany|Clarke"),
        ("It's Mrs Okonkwo here", "Okonkwo"),
        ("the name is Fitzgerald", "Fitzgerald"),
        ("my surname is Nakamura, first name Ken", "Nakamura"),
        ("Yes, my name is Mr. David Lloyd", "David|Lloyd"),
        ("this is Zoe", "Zoe"),
        ("I am Gareth Evans", "Gareth|Evans"),
        ("my first name is Imogen", "Imogen"),
        ("User: my name is O'Neill, Siobhan O'Neill", "O'Neill"),
        // addresses before a postcode, and postcodes
        ("I live at 12 High Street, London SW1A 1AA", "12 High Street|SW1A 1AA"),
        ("it's 221B Baker Street, London NW1 6XE", "221B Baker Street|NW1 6XE"),
        ("Flat 4, 7 Mill Lane, Bristol BS1 4DJ", "7 Mill Lane|BS1 4DJ"),
        ("send it to 33 Rose Avenue Manchester M14 5TQ", "33 Rose Avenue|M14 5TQ"),
        ("my address is 5 Church Road, Leeds, West Yorkshire LS6 2AB", "5 Church Road|LS6 2AB"),
        ("postcode m1 1ae thanks", "m1 1ae"),
        ("EC1A 1BB and B33 8TH", "EC1A 1BB|B33 8TH"),
        ("I'm in CF10 3AT", "CF10 3AT"),
        ("16 Queens Gardens Edinburgh EH2 1JT", "16 Queens Gardens|EH2 1JT"),
        ("number 9, The Crescent, Bath BA1 2LR", "The Crescent|BA1 2LR"),
        // several in one turn
        ("Hi, it's Jane, jane@example.com, 07700 900123. DOB 01/02/1980.", "Jane|jane@example.com|07700 900123|01/02/1980"),
        ("my name is Leo Park, 020 7946 0444, leo dot park at gmail dot com", "Leo|Park|020 7946 0444|leo dot park"),
        ("Ring me on (415) 555-0155 or email ana@example.org", "(415) 555-0155|ana@example.org"),
        ("this is Grace, my number is oh seven seven double oh nine double oh seven seven seven", "Grace|oh seven seven double oh nine double oh seven seven seven"),
        ("address 8 Elm Close, York YO1 7HH and mobile 07700 900818", "8 Elm Close|YO1 7HH|07700 900818"),
        ("NI AB 12 34 56 C, NHS 401 023 2137, card 4111111111111111", "AB 12 34 56 C|401 023 2137|4111111111111111"),
    ];

    /// <summary>Clinic talk that looks like personal data and is not: it must come out unchanged.</summary>
    public static readonly string[] LookAlikes =
    [
        "Can I come at 14:00 or 10:30 on Friday?",
        "Liquid rhinoplasty costs £2,500-£3,500, recovery is quick",
        "Your appointment is on 4 December 2026 at 2pm",
        "Booked for 2026-12-04T14:00:00+00:00",
        "Your confirmation code is KW6R87GK",
        "Prefix GB 12 34 56 A is never issued",
        "call 999 or 111 in an emergency, room 101",
        "I had it done in 1985 and again in 2019",
        "45 minutes, 15 minute buffer, 3 sessions",
        "She was born in 1990",
        "Anti-wrinkle injections are £200-£350",
        "Laser hair removal is £60-£250 a session",
        "The consultation is £75 and is deducted from treatment",
        "A course of six sessions, four to six weeks apart",
        "Swelling for 2-3 days",
        "Avoid alcohol for 24 hours before",
        "Stop retinoids five days before",
        "Dr Patel has 09:30, 11:15 and 16:45 free",
        "half past two or quarter to four",
        "Is 2.30pm on the 12th OK?",
        "the 3rd of January 2027 at 10am",
        "Monday 7 December at 09:00",
        "from 12/12/2026 to 19/12/2026",
        "between 10 and 12 on Saturday",
        "your booking reference is 4821",
        "confirmation ABC123, appointment 14:00",
        "your code is 7HQ2 9XKM",
        "That's £1,250 in total, or $1,600",
        "€300 deposit",
        "It takes 30 to 45 minutes",
        "I'm 34 and had filler before",
        "We opened in 2012",
        "version 2.0 of the form",
        "The clinic is open 9 to 5, Monday to Saturday",
        "This is about my appointment on Friday",
        "This is the clinic calling you back",
        "Hello, this is Riverside Aesthetics, how can I help?",
        "my name is on the booking already",
        "I'm calling about lip filler",
        "I'm looking for a Saturday slot",
        "It's Friday I wanted",
        "it's fine, thank you",
        "I'm not sure about the price",
        "I live in London near the station",
        "the Mill Lane clinic",
        "we're at 5 so we'll be there at 6",
        "Dr Okafor or Dr Lewis at three thirty",
        "one two three, can you hear me?",
        "Is it one or two sessions?",
        "I need two or three appointments",
        "Room 12, second floor",
        "twenty past ten on the 5th",
        "It was 50% off last year",
        "about 1.5 ml of filler",
        "2 x 30 minute sessions",
        "from 08:00 to 20:00 daily",
        "the 14:00 with Dr Chen on 2026-12-11",
        "Is 07:45 too early?",
        "I'm Dr Patel's patient",
        "It's Dr Silva I saw last time",
        "slot 3 of 8",
        "rebook for 11 January",
        "I'll be 10 minutes late",
        "Your appointment is on 2026-12-04 at 14:00",
        "she had 2 sessions in 2024 and 3 in 2025",
    ];

    [Fact]
    public void At_least_99_percent_of_personal_data_goes_and_at_least_97_percent_of_look_alikes_stay()
    {
        var pieces = Personal.SelectMany(p => p.Pii.Split('|').Select(piece => (p.Line, Piece: piece))).ToList();
        var leaked = pieces.Where(p => PiiRedactor.Redact(p.Line).Contains(p.Piece, StringComparison.Ordinal))
            .Select(p => $"'{p.Piece}' in \"{PiiRedactor.Redact(p.Line)}\"").ToList();
        var changed = LookAlikes.Where(l => PiiRedactor.Redact(l) != l).Select(l => $"\"{l}\" became \"{PiiRedactor.Redact(l)}\"").ToList();
        var recall = 100.0 * (pieces.Count - leaked.Count) / pieces.Count;
        var kept = 100.0 * (LookAlikes.Length - changed.Count) / LookAlikes.Length;
        output.WriteLine($"{Personal.Length + LookAlikes.Length} lines. Recall {recall:0.0}% ({pieces.Count - leaked.Count} of {pieces.Count} pieces " +
                         $"in {Personal.Length} lines); look-alikes kept {kept:0.0}% ({LookAlikes.Length - changed.Count} of {LookAlikes.Length}).");
        foreach (var l in leaked.Concat(changed)) output.WriteLine("  " + l);

        Assert.True(Personal.Length + LookAlikes.Length >= 150);
        Assert.True(recall >= 99.0, $"recall {recall:0.0}%: " + string.Join("; ", leaked));
        Assert.True(kept >= 97.0, $"look-alikes kept {kept:0.0}%: " + string.Join("; ", changed));
    }
}
