using System.Text;
using System.Text.RegularExpressions;
using PhoneNumbers;

namespace ClinicPortal.Features.Privacy;

/// <summary>
/// Replaces personal data in free text (transcripts, summaries, notes) with typed tokens such as [REDACTED_EMAIL].
/// Recognizers run in a fixed order, the more specific first:
/// - numbers read out in words ("oh seven seven double oh …"), turned into digits, then judged as the digits would be;
/// - emails, written or spelled out ("john dot smith at gmail dot com");
/// - card numbers (Luhn), NHS numbers (mod 11), US SSNs, NI numbers (with or without spaces), dates of birth after
///   words that say so ("DOB", "born", "date of birth");
/// - phone numbers in any common format, found by libphonenumber's matcher at POSSIBLE leniency (so possible but
///   unallocated numbers go too: redaction errs on the side of removing), read as UK, then US, numbers;
/// - a street address before a UK postcode, and any postcode;
/// - a name the caller gives ("my name is …", "this is …", "I'm …").
/// Numbers that merely look like one of these must pass its checksum or the phone matcher, so times, prices,
/// appointment dates, durations and confirmation codes survive. Measured on the labelled table in the tests
/// (docs/privacy.md).
/// </summary>
public static partial class PiiRedactor
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();
    private static readonly string[] PhoneRegions = ["GB", "US"];

    public static string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        text = SpokenDigits().Replace(text, m => SpokenNumber(m.Value) is { } digits ? JudgeDigits(digits, m.Value) : m.Value);
        text = Email().Replace(text, "[REDACTED_EMAIL]");
        text = SpokenEmail().Replace(text, "[REDACTED_EMAIL]");
        text = CardCandidate().Replace(text, m => Luhn(Digits(m.Value)) ? "[REDACTED_CARD]" : m.Value);
        text = NhsCandidate().Replace(text, m => NhsValid(Digits(m.Value)) ? "[REDACTED_NHS_NUMBER]" : m.Value);
        text = Ssn().Replace(text, "[REDACTED_SSN]");
        text = NationalInsurance().Replace(text, m => BadNinoPrefix(m.Value) ? m.Value : "[REDACTED_NI_NUMBER]");
        text = DateOfBirth().Replace(text, m => m.Groups["label"].Value + "[REDACTED_DOB]");
        text = PhoneNumbersIn(text);
        text = Address().Replace(text, "[REDACTED_ADDRESS]");
        text = Postcode().Replace(text, "[REDACTED_POSTCODE]");
        var names = new List<string>();
        text = GivenName().Replace(text, m =>
        {
            var name = m.Groups["name"].Value;
            if (StopWords.Contains(name.Split(' ')[0].ToLowerInvariant())) return m.Value;
            names.AddRange(name.Split(' ').Where(n => n.Length >= 2 && !StopWords.Contains(n.ToLowerInvariant())));
            return m.Groups["intro"].Value + "[REDACTED_NAME]";
        });
        // The same name said again later ("… Siobhan O'Neill") goes too.
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
            text = Regex.Replace(text, @"(?<![\w'])" + Regex.Escape(name) + @"(?![\w'])", "[REDACTED_NAME]", RegexOptions.IgnoreCase);
        return text;
    }

    /// <summary>Every phone number libphonenumber finds, read as a number of each region in turn.</summary>
    private static string PhoneNumbersIn(string text)
    {
        foreach (var region in PhoneRegions)
        {
            var found = Phones.FindNumbers(text, region, PhoneNumberUtil.Leniency.POSSIBLE, long.MaxValue).ToList();
            if (found.Count == 0) continue;
            var redacted = new StringBuilder(text.Length);
            var at = 0;
            foreach (var match in found)
            {
                // "call 999", "room 101", extensions; and dates ("2026-12-04"), which the matcher may read as numbers
                if (Digits(match.RawString).Length < 7 || LooksLikeDate().IsMatch(match.RawString)) continue;
                redacted.Append(text, at, match.Start - at).Append("[REDACTED_PHONE]");
                at = match.Start + match.Length;
            }
            text = redacted.Append(text, at, text.Length - at).ToString();
        }
        return text;
    }

    /// <summary>Digits read out in words: a card when they pass Luhn, else a phone number when there are enough of them.</summary>
    private static string JudgeDigits(string digits, string said) =>
        Luhn(digits) && digits.Length >= 13 ? "[REDACTED_CARD]"
        : digits.Length >= 9 ? "[REDACTED_PHONE]"
        : digits.Length >= 7 && Phones.FindNumbers(digits, "GB", PhoneNumberUtil.Leniency.POSSIBLE, 10).Any() ? "[REDACTED_PHONE]"
        : said;

    /// <summary>The digits of a run such as "oh seven seven double oh 9 triple one", or null when it holds no number word.</summary>
    private static string? SpokenNumber(string said)
    {
        var digits = new StringBuilder();
        var repeat = 1;
        var words = 0;
        foreach (var token in said.ToLowerInvariant().Split([' ', ',', '-', '.'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token == "double") { repeat = 2; continue; }
            if (token == "triple") { repeat = 3; continue; }
            var digit = token switch
            {
                "zero" or "oh" or "o" or "nought" => "0", "one" => "1", "two" => "2", "three" => "3", "four" => "4", "five" => "5",
                "six" => "6", "seven" => "7", "eight" => "8", "nine" => "9", _ => token.All(char.IsAsciiDigit) ? token : null,
            };
            if (digit is null) return null;
            if (!token.All(char.IsAsciiDigit)) words++;
            for (var i = 0; i < repeat; i++) digits.Append(digit);
            repeat = 1;
        }
        return words > 0 ? digits.ToString() : null;
    }

    private static string Digits(string s) => new(s.Where(char.IsAsciiDigit).ToArray());

    public static bool Luhn(string digits)
    {
        if (digits.Length is < 13 or > 19) return false;
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1 && (d *= 2) > 9) d -= 9;
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>NHS numbers: ten digits whose mod-11 check digit (weights 10..2) matches.</summary>
    public static bool NhsValid(string digits)
    {
        if (digits.Length != 10) return false;
        var sum = 0;
        for (var i = 0; i < 9; i++) sum += (digits[i] - '0') * (10 - i);
        var check = 11 - sum % 11;
        if (check == 11) check = 0;
        return check != 10 && check == digits[9] - '0';
    }

    // Prefixes HMRC never issues.
    private static bool BadNinoPrefix(string nino) => nino.Trim().ToUpperInvariant()[..2] is "BG" or "GB" or "NK" or "KN" or "TN" or "NT" or "ZZ";

    /// <summary>Words after "this is" or "I'm" that begin something other than a name.</summary>
    private static readonly HashSet<string> StopWords =
    [
        "a", "an", "the", "about", "regarding", "re", "for", "from", "just", "my", "your", "our", "it", "is", "not", "so", "very", "really",
        "calling", "ringing", "phoning", "looking", "wondering", "trying", "interested", "after", "here", "there", "still", "also", "fine",
        "good", "great", "ok", "okay", "sorry", "afraid", "sure", "happy", "free", "available", "booked", "on", "in", "at", "to", "with",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june",
        "july", "august", "september", "october", "november", "december", "today", "tomorrow", "dr", "doctor", "riverside", "harbour",
        "clinic", "reception", "urgent", "important", "correct", "right", "wrong", "new", "that", "this", "what", "how", "when", "why",
        "who", "where", "which", "going", "having", "getting", "coming", "ready", "done", "glad", "pleased", "thinking", "hoping",
        "none", "no", "yes", "all", "only", "too", "because", "if", "and", "but", "or", "again", "back", "late", "early",
    ];

    [GeneratedRegex(@"(?<![\w.])(?:(?:zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine|double|triple|\d{1,5})[\s,.\-]+){5,}" +
                    @"(?:zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine|\d{1,5})\b", RegexOptions.IgnoreCase)]
    private static partial Regex SpokenDigits();

    [GeneratedRegex(@"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4})$")]
    private static partial Regex LooksLikeDate();

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    // "john dot smith at gmail dot com", "jane underscore doe 85 at outlook dot co dot uk".
    [GeneratedRegex(@"\b[a-z0-9]+(?:\s+(?:dot|underscore|dash|hyphen)\s+[a-z0-9]+|\s+\d+)*\s+at\s+[a-z0-9\-]+(?:\s+dot\s+[a-z]{2,})+\b",
        RegexOptions.IgnoreCase)]
    private static partial Regex SpokenEmail();

    [GeneratedRegex(@"(?<![\d£$€.,])\d(?:[ \-]?\d){12,18}(?![\d%])")]
    private static partial Regex CardCandidate();

    [GeneratedRegex(@"(?<![\d£$€.,+])\d{3}[ \-]?\d{3}[ \-]?\d{4}(?!\d)")]
    private static partial Regex NhsCandidate();

    [GeneratedRegex(@"(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)")]
    private static partial Regex Ssn();

    [GeneratedRegex(@"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][ \-]?\d{2}[ \-]?\d{2}[ \-]?\d{2}[ \-]?[A-D]\b", RegexOptions.IgnoreCase)]
    private static partial Regex NationalInsurance();

    [GeneratedRegex(@"(?<label>\b(?:d\.?o\.?b\b\.?|date of birth\b|birth ?date\b|born(?: on)?\b)\s*(?:is|was|:|-)?\s*)" +
                    @"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)?(?: of)? [A-Za-z]{3,9},? \d{4}|[A-Za-z]{3,9} \d{1,2}(?:st|nd|rd|th)?,? \d{4})",
        RegexOptions.IgnoreCase)]
    private static partial Regex DateOfBirth();

    // A house number or name, a street, and up to three more parts (town, county), before a UK postcode.
    [GeneratedRegex(@"(?:\b(?:flat|apartment|unit)\s+\d{1,4}[A-Za-z]?,?\s+)?\b\d{1,4}[A-Za-z]?,?\s+[A-Za-z][A-Za-z'\-]*(?:\s+[A-Za-z][A-Za-z'\-]*){0,4}" +
                    @"(?:,?\s+[A-Za-z][A-Za-z'\-]*(?:\s+[A-Za-z][A-Za-z'\-]*){0,2}){0,3},?\s+" + PostcodePattern, RegexOptions.IgnoreCase)]
    private static partial Regex Address();

    private const string PostcodePattern =
        @"(?:GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y]) ?\d[ABD-HJLNP-UW-Z]{2})\b";

    [GeneratedRegex(@"\b" + PostcodePattern, RegexOptions.IgnoreCase)]
    private static partial Regex Postcode();

    // "my name is Sarah Jones", "name's priya", "this is Tom", "I'm Aisha Khan": after "my name is" any one to three words;
    // after "this is" and "I'm" only capitalised ones (a name, not "this is about …").
    [GeneratedRegex(@"(?<intro>\b(?:(?i:my\s+name\s+is|my\s+name's|name's|the\s+name\s+is|(?:my\s+)?surname\s+is|first\s+name\s+is)\s+(?:(?i:mrs|mr|ms|miss|dr)\.?\s+)?))" +
                    @"(?<name>(?i:[a-z][a-z'\-]+)(?:\s+(?i:[a-z][a-z'\-]+)){0,2}?)(?=\s*(?:[,.;!?]|$|\s+(?i:and|from|calling|here|speaking|I|my|it|i'm|on|about|please|thanks|thank)\b))" +
                    @"|(?<intro>\b(?i:this\s+is|it's|i'm|i\s+am)\s+(?:(?i:mrs|mr|ms|miss)\.?\s+)?)(?<name>[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+){0,2})")]
    private static partial Regex GivenName();
}
