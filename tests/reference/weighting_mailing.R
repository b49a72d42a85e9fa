## Reference numbers for survey/weighting/wave.py: base weights from a mailing file
## (survey run --mailing), tests/test_weighting.py.
## Run from anywhere:  Rscript tests/reference/weighting_mailing.R
## Writes tests/reference/weighting_mailing.json.
## R survey 4.1.1, jsonlite; data: tests/reference/weighting_mailing_{respondents,margins,mailing}.csv,
## written by tests/reference/weighting_mailing_make_data.py (synthetic, deterministic).
##
## The design: a stratified sample of the district x age band cells of the mailing file,
## base weight N_h / m_h (N_h: the margins summed over sex), then raked to the age band, sex
## and district margins:
##   svydesign(ids = ~1, strata = ~cell, weights = ~bw) |> calibrate(calfun = "raking")
## calibrate(calfun = "raking") gives the same weights as rake(); its linearised variance uses
## the residuals of the joint weighted regression on the margin dummies, which is what
## survey.design.Design.rake computes.  rake()'s variance iterates per-margin projections and
## differs slightly when the base weights are not constant within the margins (kept as a record).
## Satisfaction scores (midori_2025.yaml): 1 -> +1, 2 -> +0.5, 3 -> 0, 4 -> -0.5, 5 -> -1;
## 6 (わからない) and 9 (無回答) have no score (a domain: na.rm = TRUE).
##
## Case "register": every respondent's cell is known.  Case "reported": the reported attributes,
## with blanks and sex 3 (回答しない); the rule documented in survey/weighting/wave.py:
## respondents without a mailed cell form stratum 0 and start from the mean base weight of the
## placed respondents of their district (district unknown: of their age band; both unknown: of
## all placed respondents); in each raking margin the unknowns form level 0 with the population
## total times their share of the base-weighted sample, the known levels scaled down by that share.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
resp <- read.csv(file.path(here, "weighting_mailing_respondents.csv"))
marg <- read.csv(file.path(here, "weighting_mailing_margins.csv"))
mail <- read.csv(file.path(here, "weighting_mailing_mailing.csv"))
options(survey.lonely.psu = "adjust")

scores <- c(1, 0.5, 0, -0.5, -1)
resp$score <- ifelse(resp$satisfaction %in% 1:5, scores[pmin(resp$satisfaction, 5)], NA)
N_cell <- aggregate(count ~ district + age_band, data = marg, FUN = sum)
cells <- merge(mail, N_cell, by = c("district", "age_band"))
cells$bw <- cells$count / cells$mailed
cells$cell <- paste(cells$district, cells$age_band)
total <- sum(marg$count)

prepare <- function(d, district, age_band, sex) {
  d$k_district <- district; d$k_age <- age_band; d$k_sex <- sex
  key <- paste(district, age_band)
  placed <- !is.na(district) & !is.na(age_band) & key %in% cells$cell
  d$bw <- NA
  d$bw[placed] <- cells$bw[match(key[placed], cells$cell)]
  fill <- rep(mean(d$bw[placed]), nrow(d))
  for (x in list(age_band, district)) {          # the district's mean wins over the age band's
    m <- tapply(d$bw[placed], x[placed], mean)
    known <- !is.na(x) & as.character(x) %in% names(m)
    fill[known] <- m[as.character(x[known])]
  }
  d$bw[!placed] <- fill[!placed]
  d$stratum <- ifelse(placed, key, "0")
  pops <- list()
  for (v in c("age_band", "sex", "district")) {
    x <- d[[c(age_band = "k_age", sex = "k_sex", district = "k_district")[[v]]]]
    p <- aggregate(marg$count, by = list(level = marg[[v]]), FUN = sum)
    known <- !is.na(x) & x %in% p$level
    share <- 1 - sum(d$bw[known]) / sum(d$bw)
    d[[paste0("r_", v)]] <- ifelse(known, x, 0)
    counts <- setNames(p$x * (1 - share), p$level)
    if (share > 0) counts <- c(`0` = total * share, counts)
    pops[[v]] <- counts
  }
  list(data = d, pops = pops)
}

analyse <- function(prep) {
  d <- prep$data; pops <- prep$pops
  des <- svydesign(ids = ~1, strata = ~stratum, weights = ~bw, data = d)
  f <- ~factor(r_age_band) + factor(r_sex) + factor(r_district)
  mm <- colnames(model.matrix(f, d))
  totals <- c(`(Intercept)` = total)
  for (v in c("age_band", "sex", "district")) {
    p <- pops[[v]]; lv <- sort(as.numeric(names(p)))
    for (l in lv[-1]) totals[paste0("factor(r_", v, ")", l)] <- p[[as.character(l)]]
  }
  stopifnot(identical(sort(names(totals)), sort(mm)))
  cal <- calibrate(des, f, population = totals[mm], calfun = "raking", epsilon = 1e-13, maxit = 200)
  rk <- rake(des, list(~r_age_band, ~r_sex, ~r_district),
             lapply(c("age_band", "sex", "district"), function(v) {
               p <- pops[[v]]; out <- data.frame(as.numeric(names(p)), Freq = unname(p))
               names(out)[1] <- paste0("r_", v); out }),
             control = list(maxit = 200, epsilon = 1e-13))
  m <- svymean(~score, cal, na.rm = TRUE, deff = TRUE)
  bd <- svyby(~score, ~k_district, cal, svymean, na.rm = TRUE)
  ba <- svyby(~score, ~k_age, cal, svymean, na.rm = TRUE)
  mr <- svymean(~score, rk, na.rm = TRUE)
  ## equal base weights (what survey run does without --mailing), for the record
  eq <- svydesign(ids = ~1, weights = ~I(rep(total / nrow(d), nrow(d))), data = d)
  eqc <- calibrate(eq, f, population = totals[mm], calfun = "raking", epsilon = 1e-13, maxit = 200)
  me <- svymean(~score, eqc, na.rm = TRUE)
  be <- svyby(~score, ~k_district, eqc, svymean, na.rm = TRUE)
  list(n = nrow(d), strata = length(unique(d$stratum)), degf = degf(des),
       base_weights = unname(d$bw), weights = unname(weights(cal)),
       rake_weight_ratio_range = range(weights(rk) / weights(cal)),
       index = list(estimate = unname(coef(m)), se = as.numeric(SE(m)), deff = as.numeric(deff(m))),
       by_district = list(groups = bd$k_district, estimate = unname(coef(bd)), se = unname(SE(bd))),
       by_age = list(groups = ba$k_age, estimate = unname(coef(ba)), se = unname(SE(ba))),
       rake_index = list(estimate = unname(coef(mr)), se = as.numeric(SE(mr))),
       equal_start = list(estimate = unname(coef(me)), se = as.numeric(SE(me)),
                          by_district = unname(coef(be))))
}

out <- list()
out$register <- analyse(prepare(resp, resp$district, resp$age_band, resp$sex))
out$reported <- analyse(prepare(resp, resp$district_rep, resp$age_band_rep, resp$sex_rep))
out$R <- list(version = R.version.string, survey = as.character(packageVersion("survey")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "weighting_mailing.json"))
cat("wrote weighting_mailing.json\n")
