# Figure 2's (5000, 300) panel from the committed reference run (metrics.csv here), drawn by tools/reproduce into
# <out>/fig2-reference/: train, test and clean-test accuracy against steps on a log axis, with the paper's levels
# (85% plateau; about 95% train and 79% test at 10^7) and its onset (about 2 x 10^5 steps) marked.
set datafile separator ','
set key autotitle columnhead bottom right
set logscale x
x0(t) = t == 0 ? 0.5 : t
set xrange [0.5:1e7]
set yrange [0.45:1.02]
set format x '10^{%T}'
set xlabel 'gradient descent steps (step 0 drawn at the left edge; the paper runs to 10^7)'
set ylabel 'accuracy'
set grid
set arrow from 2e5, 0.45 to 2e5, 1.02 nohead dt 3 lc rgb 'gray40'
set label "paper's onset, about 2 x 10^5" at 2.3e5, 0.62 tc rgb 'gray40'
set title "Figure 2's (n, d) = (5000, 300) panel, one run (seed 1), committed reference run"
plot 'metrics.csv' using (x0($1)):3 with lines lw 2 lc 1 title 'train', \
     'metrics.csv' using (x0($1)):6 with lines lw 2 lc 2 title 'test', \
     'metrics.csv' using (x0($1)):7 with lines lw 1 dt 2 lc 2 title 'test, clean labels', \
     0.95 with lines dt 2 lc 1 title "paper at 10^7: train about 95%", \
     0.79 with lines dt 2 lc 7 title "paper at 10^7: test about 79%"
