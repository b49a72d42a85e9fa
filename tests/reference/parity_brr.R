## Reference numbers for R's BRR / Fay replicates (tests/test_parity_brr.py).
## Run from anywhere:  Rscript tests/reference/parity_brr.R
## Writes tests/reference/parity_brr.json.
## R 4.2.2, survey 4.1.1, jsonlite; data: the copies in tests/data
## (nhanes.csv.gz from data(nhanes), apistrat.csv from data(api)).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
nhanes <- dat("nhanes.csv.gz")
apistrat <- dat("apistrat.csv")
out <- list(R = R.version.string, survey = as.character(packageVersion("survey")))

stat <- function(s) list(names = names(coef(s)), estimate = unname(coef(s)), se = unname(SE(s)))

## 1. survey::hadamard(n) for n = 0..400: order and a checksum
##    sum_ij H[i, j] * ((31 i + 17 j) mod 1009), i, j from 1.
chk <- function(H) sum(H * outer(seq_len(nrow(H)), seq_len(ncol(H)), function(i, j) (31 * i + 17 * j) %% 1009))
out$hadamard <- lapply(0:400, function(n) {H <- hadamard(n); c(n = n, order = nrow(H), checksum = chk(H))})

## 2. NHANES: 15 strata (14 with 2 PSUs, stratum 86 with 3) -> R's stored order-16 matrix.
dn <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
## stratum 86 has 3 PSUs: two half-samples (large = "merge"); R cannot split an odd stratum
brr <- as.svrepdesign(dn, type = "BRR", large = "merge")
## factors per PSU (rows: strata in sorted order, first PSU then second; columns: replicates)
rw <- brr$repweights
key <- paste(nhanes$SDMVSTRA, nhanes$SDMVPSU)
first <- match(sort(unique(key)), key)
out$nhanes_brr_factors <- unname(rw$weights[rw$index[first], ])
out$nhanes_brr_keys <- sort(unique(key))
out$nhanes_brr_mean <- stat(svymean(~HI_CHOL, brr, na.rm = TRUE))
out$nhanes_brr_agecat <- stat(svymean(~agecat, brr))
out$nhanes_brr_total <- stat(svytotal(~HI_CHOL, brr, na.rm = TRUE))
g <- svyglm(HI_CHOL ~ factor(race) + agecat + RIAGENDR, design = brr, family = quasibinomial)
out$nhanes_brr_glm <- list(names = names(coef(g)), estimate = unname(coef(g)), se = unname(SE(g)))
fay <- as.svrepdesign(dn, type = "Fay", fay.rho = 0.3, large = "merge")
out$nhanes_fay_mean <- stat(svymean(~HI_CHOL, fay, na.rm = TRUE))
out$nhanes_fay_agecat <- stat(svymean(~agecat, fay))
out$nhanes_fay_scale <- fay$scale

## 3. apistrat with schools as PSUs: strata of 100, 50, 50 PSUs are split
##    into 100 pseudo-strata of consecutive pairs (R large = "split").
ds <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)
bs <- as.svrepdesign(ds, type = "BRR")
out$apistrat_split_mean <- stat(svymean(~api00 + enroll, bs))
out$apistrat_split_replicates <- ncol(bs$repweights$weights)

## 4. The first K pseudo-strata of the paired apistrat design of design_api.R:
##    K = 10 (Paley, order 12), 22 (doubled Paley, 24), 26 (stored 28), 34 (stored 36).
ap <- apistrat[order(apistrat$stype, apistrat$snum), ]
ap$pair <- paste(ap$stype, (ave(seq_len(nrow(ap)), ap$stype, FUN = seq_along) + 1) %/% 2)
pairs <- sort(unique(ap$pair))
out$paired_subsets <- lapply(c(10, 22, 26, 34), function(K) {
  sub <- ap[ap$pair %in% pairs[seq_len(K)], ]
  d <- as.svrepdesign(svydesign(id = ~snum, strata = ~pair, weights = ~pw, data = sub), type = "BRR")
  c(list(K = K, replicates = ncol(d$repweights$weights), snum = sub$snum),
    stat(svymean(~api00 + enroll, d)))
})

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "parity_brr.json"))
cat("wrote", file.path(here, "parity_brr.json"), "\n")
