//! 敬称 as a clerk types them into a name: what a 宛名 or a 事業所名 may already end in, how
//! one is added without doubling it, and what is left of a name without it. Intake refuses a
//! name that is nothing but 敬称; the renderer's filters print names through these.

/// What a 宛名 may already end in.
const HONORIFICS: [&str; 3] = ["様", "殿", "御中"];

/// `name`, then a space and `word`, unless the name already ends in 様, 殿, 御中 or `word`
/// (with or without spaces, half- or full-width, around it): then the name as it is, without
/// its trailing spaces. For a person's 宛名 (「山田 太郎 様」 stays as typed).
pub fn with_honorific(name: &str, word: &str) -> String {
    let name = name.trim_end();
    let honored = HONORIFICS.iter().copied().chain([word.trim()]).any(|h| !h.is_empty() && name.ends_with(h));
    if honored || name.is_empty() { name.to_string() } else { format!("{name} {}", word.trim()) }
}

/// A 事業所名 without the 敬称 it was typed with: a trailing 御中, or a 様 or 殿 set off by a
/// space. The line then adds its own (御中 when no person is named, 殿 in the body) or none
/// (above a named person's 様). A 様 or 殿 written into the name without a space stays: it is
/// more likely part of the name (「お日様」, 「花御殿」) than a 敬称.
pub fn without_honorific(name: &str) -> String {
    let mut name = name.trim_end();
    loop {
        let bare = if let Some(rest) = name.strip_suffix("御中") {
            rest
        } else if let Some(rest) = name.strip_suffix('様').or_else(|| name.strip_suffix('殿'))
            && rest.ends_with(char::is_whitespace)
        {
            rest
        } else {
            return name.to_string();
        };
        name = bare.trim_end();
    }
}

/// A 宛名 without every 敬称 it ends in (「様」「殿」「御中」, with or without spaces): empty for a
/// cell that holds only 敬称, which would print an addressee with no name.
pub fn without_any_honorific(name: &str) -> &str {
    let mut name = name.trim_end();
    while let Some(bare) = HONORIFICS.iter().find_map(|h| name.strip_suffix(h)) {
        name = bare.trim_end();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_gets_sama_once() {
        assert_eq!(with_honorific("管理者 山田 太郎", "様"), "管理者 山田 太郎 様");
        for typed in
            ["山田 太郎 様", "山田 太郎様", "山田 太郎　様", "山田 太郎 様 ", "山田 太郎　様　", "山田 太郎 殿"]
        {
            let printed = with_honorific(typed, "様");
            assert_eq!(printed, typed.trim_end(), "{typed:?}");
            assert_eq!(printed.matches(['様', '殿']).count(), 1, "{typed:?}");
        }
        assert_eq!(with_honorific("総務課 御中", "様"), "総務課 御中");
        assert_eq!(with_honorific("ご担当者さま", "さま"), "ご担当者さま");
    }

    #[test]
    fn an_office_loses_the_onchu_it_was_typed_with() {
        for typed in
            ["見本の里 御中", "見本の里御中", "見本の里　御中", "見本の里 御中 ", "見本の里 様", "見本の里　殿"]
        {
            assert_eq!(without_honorific(typed), "見本の里", "{typed:?}");
        }
        assert_eq!(without_honorific("見本の里"), "見本の里");
        assert_eq!(without_honorific("見本の里 御中 様"), "見本の里");
    }

    #[test]
    fn a_name_of_only_honorifics_is_empty_without_them() {
        for typed in ["様", " 御中 ", "御中　様", "殿"] {
            assert_eq!(without_any_honorific(typed), "", "{typed:?}");
        }
        assert_eq!(without_any_honorific("山田 太郎 様"), "山田 太郎");
    }

    #[test]
    fn a_sama_or_dono_inside_an_office_name_stays() {
        for name in ["デイサービスお日様", "ケアハウス花御殿"] {
            assert_eq!(without_honorific(name), name);
        }
    }
}
