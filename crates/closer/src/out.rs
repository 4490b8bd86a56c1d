//! Standard output for commands: `out!`/`outln!` write like `print!`/`println!` but `?` the
//! error out of the command instead of panicking, so `closer report … | head -1` ends quietly when the reader
//! closes the pipe (`main` treats a broken pipe as the end of the output, not a failure).

use std::io::Write;

/// Writes to standard output.
pub fn write(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    std::io::stdout().lock().write_fmt(args)
}

/// True when `e` is the reader of our output having gone away.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `print!`, returning early with the write's error.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!($($arg)*))?
    };
}

/// `println!`, returning early with the write's error.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!("{}\n", format_args!($($arg)*)))?
    };
}
