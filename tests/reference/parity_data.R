## Copies R survey's own data sets into tests/data for the parity tests
## (tests/test_parity_*.py read the copies; they never call R).
## Run from anywhere:  Rscript tests/reference/parity_data.R
## R 4.2.2, survey 4.1.1: data(nhanes), data(yrbs), written with write.csv
## (row names dropped, NA as empty), gzip-compressed.
suppressMessages(library(survey))
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
out <- function(x, name) {
  con <- gzfile(file.path(here, "..", "data", name), "w")
  write.csv(x, con, row.names = FALSE, na = "")
  close(con)
}
data(nhanes)
out(nhanes, "nhanes.csv.gz")
data(yrbs)
out(yrbs, "yrbs.csv.gz")
